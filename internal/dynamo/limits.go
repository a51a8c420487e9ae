package dynamo

// maxTransactItems is DynamoDB's limit of items in one transaction
// (TransactWriteItems). Every limit below derives from it.
const maxTransactItems = 100

// MaxTokensPerOwner is the most live (active and locked) tokens one owner
// may hold in this store: a change of the owner's status or permissions
// rewrites the owner's record and every live token, with its audit event
// and a notice, in one transaction, so that no token ever carries a state
// the owner no longer has (setOwner): 1 + 97 + 1 + 1 = 100 items. The cap
// a deployment sets (MAX_ACTIVE_TOKENS, pat.Config.MaxActiveTokens) must
// not exceed it; the wiring checks it at cold start.
const MaxTokensPerOwner = maxTransactItems - 3

// revocationItems is what one token's revocation costs a transaction: the
// token, its entry in the last-use order (its ttl, useTTL) and its audit
// event. Each owner in a transaction costs one more
// (their count of active tokens) and, when owners are told, one more (the
// notice).
const revocationItems = 3
