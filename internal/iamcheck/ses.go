package iamcheck

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"
)

// sesRequests turns one SES v1 call (query protocol: a form body with
// Action=SendEmail&Source=...) into what IAM authorizes. Sending is
// authorized on the sending identity (the From address's own identity or
// its domain's, whichever the account verified: either grant allows) and,
// when the mail names one, on the configuration set; the request carries
// ses:FromAddress (the address without its display name),
// ses:FromDisplayName, ses:Recipients and ses:FeedbackAddress.
func sesRequests(region, account string, body []byte) ([][]Request, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("SES request: %w", err)
	}
	action := form.Get("Action")
	if action == "" {
		return nil, fmt.Errorf("SES request without Action: iamcheck models the v1 query API only")
	}
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:aws:ses:%s:%s:%s/%s", region, account, kind, name)
	}
	if action != "SendEmail" && action != "SendRawEmail" {
		return [][]Request{{{Action: "ses:" + action, Resource: "*", Call: action,
			Unmodelled: fmt.Sprintf("iamcheck does not model the condition keys of ses:%s", action)}}}, nil
	}
	source := form.Get("Source")
	var recipients []string
	for _, list := range []string{"Destination.ToAddresses", "Destination.CcAddresses", "Destination.BccAddresses", "Destinations"} {
		recipients = append(recipients, members(form, list)...)
	}
	if action == "SendRawEmail" {
		raw, err := base64.StdEncoding.DecodeString(form.Get("RawMessage.Data"))
		if err != nil {
			return nil, fmt.Errorf("SendRawEmail: RawMessage.Data: %w", err)
		}
		header, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
		if err != nil && len(header) == 0 {
			return nil, fmt.Errorf("SendRawEmail: the message's header: %w", err)
		}
		if source == "" {
			source = header.Get("From")
		}
		if len(recipients) == 0 {
			for _, h := range []string{"To", "Cc", "Bcc"} {
				if list, err := mail.ParseAddressList(header.Get(h)); err == nil {
					for _, a := range list {
						recipients = append(recipients, a.Address)
					}
				}
			}
		}
	}
	from, err := mail.ParseAddress(source)
	if err != nil {
		return nil, fmt.Errorf("%s: Source %q: %w", action, source, err)
	}
	keys := map[string][]string{"ses:FromAddress": {from.Address}, "ses:Recipients": recipients}
	if from.Name != "" {
		keys["ses:FromDisplayName"] = []string{from.Name}
	}
	if rp := form.Get("ReturnPath"); rp != "" {
		keys["ses:FeedbackAddress"] = []string{rp}
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	checks := [][]Request{{
		{Action: "ses:" + action, Resource: arn("identity", from.Address), Keys: keys, Call: action + " (sending identity)"},
		{Action: "ses:" + action, Resource: arn("identity", domain), Keys: keys, Call: action + " (sending identity)"},
	}}
	if set := form.Get("ConfigurationSetName"); set != "" {
		checks = append(checks, []Request{{Action: "ses:" + action, Resource: arn("configuration-set", set), Keys: keys, Call: action + " (configuration set)"}})
	}
	return checks, nil
}

// members reads a list of the query protocol: name.member.1, name.member.2...
func members(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[fmt.Sprintf("%s.member.%d", name, i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}
