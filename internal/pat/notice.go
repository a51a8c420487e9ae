package pat

import "time"

// Message is one composed mail to a token's owner. Package mail composes
// and sends it; the domain only stores it, in a Notice.
type Message struct {
	UserID  string // the owner it is about; "" for mail to administrators
	To      string
	Subject string
	Text    string
	HTML    string
}

// Notice is a mail in the outbox: written in the same transaction as the
// change it announces, so that it is never lost, then sent and deleted
// (by the function that made the change, or else by the lifecycle job).
type Notice struct {
	ID      string
	UserID  string
	Message Message
	// Reuse, when set, is a notice stored as data, with an empty Message:
	// it is composed in its owner's language when it is sent. The
	// authorizer writes these, and carries no mail code.
	Reuse *ReuseNotice
	Claim string // "sending:<time>" while someone sends it
}

// ReuseNotice tells the owner that a token a rotation replaced was used
// after its end (ActionReuseDetected): never the token, only its id.
type ReuseNotice struct {
	TokenID, TokenName string
	OwnerEmail         string // the address on the token when it was used; the owner's record wins when it has one
	ReplacedBy         string
	At                 time.Time
	SourceIP           string
	// ReplacementRevoked: the rotation asked for it, and the report
	// revoked the replacement.
	ReplacementRevoked bool
}

// Creation is what a creation notice tells a token's owner: a token was
// created, rotated or issued by an administrator on their account. It
// carries the token (never its secret), who made it from where, and the
// "this was not me" link that revokes it.
type Creation struct {
	Token       Token
	Actor       Identity // who made it, with the request's source address and client
	Role        Role     // RoleUser: the owner; RoleAdmin: an administrator
	RotatedFrom string   // the token it replaces, for a rotation
	SelfRotated bool     // the token replaced itself (POST /tokens/self/rotate)
	Link        string   // the "this was not me" link; "" when none could be made
	LinkUntil   time.Time
	At          time.Time
}
