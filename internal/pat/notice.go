package pat

// Mail is one message to a token's owner.
type Mail struct {
	To      string `dynamodbav:"to"`
	Subject string `dynamodbav:"subject"`
	Text    string `dynamodbav:"text"`
	HTML    string `dynamodbav:"html"`
}

// Notice is a mail in the outbox: written in the same transaction as the
// change it announces, so that it is never lost, then sent and deleted
// (by the function that made the change, or else by the lifecycle job).
type Notice struct {
	ID     string
	UserID string
	Mail   Mail
	Claim  string // "sending:<time>" while someone sends it
}
