package pat

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
	Claim   string // "sending:<time>" while someone sends it
}
