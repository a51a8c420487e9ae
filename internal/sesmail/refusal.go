package sesmail

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	pmail "github.com/patservice/pat/internal/mail"
)

// What SES's SendEmail refusals mean (SES API reference, SendEmail errors,
// and the developer guide's "Amazon SES email sending errors"):
//
//   - MessageRejected: the message was not sent; its text says why.
//     "Email address is not verified. The following identities failed the
//     check in region R: a, b" names the unverified identities: the sender
//     among them, the sender is not verified; only recipients, the account
//     is in the sandbox, which mails verified addresses only. "Sending
//     suspended for this account" is an account paused by SES. "Address
//     blacklisted" is the recipient on SES's block list: the one refusal of
//     the recipient among them.
//   - AccountSendingPausedException, ConfigurationSetSendingPausedException:
//     sending is disabled for the account or the configuration set.
//   - ConfigurationSetDoesNotExist: the configuration set named does not
//     exist.
//   - MailFromDomainNotVerifiedException: SES cannot read the MX record of
//     the sender's custom MAIL FROM domain.
//   - InvalidParameterValue: a parameter is invalid, an address among them
//     ("Missing final '@domain'", "Illegal address", ...), without saying
//     which: it is the recipient's when the recipient's address is no
//     address SES accepts, else it is ours (MAIL_FROM, MAIL_REPLY_TO).
//   - Throttling: the sending rate or the daily quota is exceeded.
//
// Only a refusal of the recipient may mark an owner unreachable; a refusal
// of the sender would mark every owner the job tries. So what is not known
// to be about the recipient counts as the sender's.

// refusal turns SES's error for a send to `to` into the mail package's
// errors. SES's messages may name addresses: the errors, which are logged,
// never do.
func (m *Mailer) refusal(code, message, to string) error {
	detail := "SES " + code + ": " + redact(message)
	blocked := func(cause pmail.Cause, action string) error {
		return &pmail.Blocked{Cause: cause, Action: action, Detail: detail}
	}
	switch code {
	case "Throttling", "ThrottlingException":
		return fmt.Errorf("%w: SES %s", pmail.ErrThrottled, code)
	case "AccountSendingPausedException":
		return blocked(pmail.CauseSendingPaused, "sending is paused for the whole SES account: "+
			"read the mail AWS sent to the account's address (a review for bounces or complaints), resolve it, "+
			"then re-enable sending (UpdateAccountSendingEnabled)")
	case "ConfigurationSetSendingPausedException":
		return blocked(pmail.CauseSendingPaused, "sending is paused for "+m.configurationSet()+": "+
			"re-enable it (UpdateConfigurationSetSendingEnabled)")
	case "ConfigurationSetDoesNotExist":
		return blocked(pmail.CauseNoConfigurationSet, m.configurationSet()+" does not exist in this region: "+
			"redeploy the stack, which creates it, or name an existing one (MAIL_CONFIGURATION_SET, or the identity's default)")
	case "MailFromDomainNotVerifiedException":
		return blocked(pmail.CauseMailFromDomain, "SES cannot read the MX record of the custom MAIL FROM domain of the sender "+m.sender()+
			": publish it in DNS, or remove the custom MAIL FROM domain from the identity")
	case "InvalidParameterValue":
		if !acceptable(to) {
			return fmt.Errorf("%w: %s", pmail.ErrRejected, detail)
		}
		return blocked(pmail.CauseInvalidRequest, "SES refuses the mail as invalid, yet its recipient's address is well formed: "+
			"check MAIL_FROM ("+m.sender()+") and MAIL_REPLY_TO")
	case "MessageRejected":
		return m.rejected(message, detail, blocked)
	}
	return fmt.Errorf("send mail: SES %s", code) // another refusal: not sent, tried again later
}

func (m *Mailer) rejected(message, detail string, blocked func(pmail.Cause, string) error) error {
	lower := strings.ToLower(message)
	switch {
	case strings.Contains(lower, "not verified"):
		_, list, _ := strings.Cut(message, "region")
		_, list, _ = strings.Cut(list, ":")
		sender := strings.ToLower(m.sender())
		for id := range strings.SplitSeq(list, ",") {
			// No list names no recipient: the sender, then.
			id = strings.ToLower(strings.TrimSpace(id))
			if strings.TrimSpace(list) == "" || id == sender || id != "" && strings.HasSuffix(sender, "@"+id) {
				return blocked(pmail.CauseUnverifiedSender, "the sender "+m.sender()+" (MAIL_FROM) is not verified in SES in this region: "+
					"verify it (with CreateMailIdentity=true, open the link SES mailed to it, or publish the domain's DKIM records) "+
					"and wait until SES shows the identity as verified")
			}
		}
		return blocked(pmail.CauseSandbox, "the SES account is in the sandbox in this region, which mails verified addresses only: "+
			"request production access (SES console, Account dashboard), or verify the recipients for a test")
	case strings.Contains(lower, "suspended") || strings.Contains(lower, "paused"):
		return blocked(pmail.CauseSendingPaused, "SES has suspended sending for the account: "+
			"read the mail AWS sent to the account's address and resolve the review")
	case strings.Contains(lower, "blacklisted") || strings.Contains(lower, "blocklisted"):
		return fmt.Errorf("%w: %s", pmail.ErrRejected, detail)
	}
	return blocked(pmail.CauseRefused, "SES refuses the mail for a reason that is not its recipient: read SES's message in this line's error")
}

// configurationSet names the configuration set SES applied: ours, or
// (when none is named) the sender identity's default one.
func (m *Mailer) configurationSet() string {
	if m.ConfigurationSet == "" {
		return "the default SES configuration set of the identity " + m.sender()
	}
	return fmt.Sprintf("the SES configuration set %q (MAIL_CONFIGURATION_SET)", m.ConfigurationSet)
}

// sender is the address of the From line (MAIL_FROM may name one as
// `Name <address>`).
func (m *Mailer) sender() string {
	if a, err := mail.ParseAddress(m.from); err == nil {
		return a.Address
	}
	return m.from
}

// acceptable says whether SES could take to as a recipient: one plain
// ASCII address (SES's SendEmail takes no internationalized local part,
// and a domain only in its ASCII form).
func acceptable(to string) bool {
	for _, r := range to {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	a, err := mail.ParseAddress(to)
	return err == nil && a.Name == "" && a.Address == to
}

// addressLike is anything in an SES message that may be an address, or a
// list of identities after "region R:".
var addressLike = regexp.MustCompile(`[^\s,:<>]*@[^\s,:<>]*|(?i)(region [\w-]+:).*`)

// redact takes addresses out of an SES message.
func redact(message string) string {
	return addressLike.ReplaceAllStringFunc(message, func(s string) string {
		if prefix, _, ok := strings.Cut(s, ":"); ok && strings.HasPrefix(strings.ToLower(s), "region ") {
			return prefix + ": (identities not logged)"
		}
		return "(address)"
	})
}
