// Package iamcheck makes the local stack as strict as IAM: every call a
// function makes to DynamoDB Local, the SES emulator or moto's Secrets
// Manager is attributed to
// the function (the access key id names it), checked against the policy
// its role has in the template after the SAM transform (package samstack),
// refused as AWS refuses it when the policy does not allow it, and
// recorded, so that a test fails on any refusal and a report names the
// grants no call ever used.
//
// The evaluator follows IAM's rules for identity-based policies: an
// explicit Deny wins, an Allow whose action, resource and conditions match
// allows, anything else is an implicit deny. What it cannot evaluate (an
// unknown condition operator, a condition key it cannot compute for a
// request) it denies, so that the checker fails loudly rather than lets
// through.
//
// Use: p := iamcheck.Start(t, stack, dynamoURL, sesURL) in front of the
// local stack; run each function with AWS_ACCESS_KEY_ID=<its logical id>,
// AWS_ENDPOINT_URL_DYNAMODB=p.DynamoDBURL and AWS_ENDPOINT_URL_SES=p.SESURL
// (and, after p.ProxySecretsManager, AWS_ENDPOINT_URL_SECRETS_MANAGER=
// p.SecretsManagerURL).
// The test fails on any refusal it did not take (TakeRefusals); p.Report()
// lists the grants no call used. A suite-wide proxy: New, Close and
// RequireNoRefusals per test.
package iamcheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/patservice/pat/internal/samstack"
)

// Request is what IAM is asked about one action on one resource: the
// request context of an authorization.
type Request struct {
	Action   string // dynamodb:GetItem
	Resource string // arn:aws:dynamodb:us-east-1:000000000000:table/tokens
	// Keys are the condition keys the request carries (a key that is not
	// in the map is missing from the request context; a multivalued key
	// such as dynamodb:LeadingKeys may hold several values).
	Keys map[string][]string
	// Unmodelled, when set, says why the checker could not compute the
	// request's condition keys: a statement with conditions then cannot be
	// evaluated, and the request is denied.
	Unmodelled string
	// Call names the part of the API call this request is for, in
	// messages: "TransactWriteItems item 2 (Update)".
	Call string
}

// Result is IAM's answer to a Request.
type Result struct {
	Allowed bool
	// Reason says why, in words: which statement denied, or that none
	// allowed, or what could not be evaluated.
	Reason string
	// Allowing are the indexes of the Allow statements that matched.
	Allowing []int
	// Grants are the (statement, action pattern, resource pattern) grants
	// that matched, for the unused-grants report.
	Grants []Grant
	// ExplicitDeny is true when a Deny statement matched.
	ExplicitDeny bool
}

// Grant is one action pattern of one statement on one resource pattern.
type Grant struct {
	Statement int
	Action    string
	Resource  string
}

// Evaluate answers r as IAM answers it for a principal whose only
// policies are statements (identity-based, no boundary, no SCP).
func Evaluate(statements []samstack.Statement, r Request) Result {
	var res Result
	var denied, failed []string
	for i, s := range statements {
		action, ok := firstMatch(s.Actions, r.Action, matchAction)
		if !ok {
			continue
		}
		resource, ok := firstMatch(s.Resources, r.Resource, matchResource)
		if !ok {
			continue
		}
		holds, err := conditionsHold(s.Condition, r)
		if err != nil {
			failed = append(failed, fmt.Sprintf("statement %d: %v", i, err))
			continue
		}
		if !holds {
			continue
		}
		switch s.Effect {
		case "Allow":
			res.Allowing = append(res.Allowing, i)
			res.Grants = append(res.Grants, Grant{Statement: i, Action: action, Resource: resource})
		case "Deny":
			denied = append(denied, fmt.Sprintf("statement %d", i))
		default:
			failed = append(failed, fmt.Sprintf("statement %d: effect %q is neither Allow nor Deny", i, s.Effect))
		}
	}
	switch {
	case len(denied) > 0:
		res.ExplicitDeny = true
		res.Reason = "explicitly denied by " + strings.Join(denied, ", ")
	case len(failed) > 0:
		// An error in any statement that applies fails the whole decision:
		// an Allow elsewhere does not outweigh a Deny that could not be read.
		res.Reason = "cannot evaluate: " + strings.Join(failed, "; ")
	case len(res.Allowing) > 0:
		res.Allowed = true
		res.Reason = fmt.Sprintf("allowed by statement %v", res.Allowing)
	default:
		res.Reason = "no statement allows it (implicit deny)"
	}
	if !res.Allowed {
		res.Allowing, res.Grants = nil, nil
	}
	return res
}

// firstMatch returns the first pattern that matches value.
func firstMatch(patterns []string, value string, match func(pattern, value string) bool) (string, bool) {
	for _, p := range patterns {
		if match(p, value) {
			return p, true
		}
	}
	return "", false
}

// matchAction matches an Action element: the service prefix and the
// action name are case-insensitive, and * and ? are wildcards.
func matchAction(pattern, action string) bool {
	return wildcard(strings.ToLower(pattern), strings.ToLower(action))
}

// matchResource matches a Resource element: case-sensitive, * and ? are
// wildcards (also within an ARN's segments, as IAM allows).
func matchResource(pattern, resource string) bool {
	return wildcard(pattern, resource)
}

// wildcard matches s against a pattern where * is any run of characters
// (also none) and ? is one character.
func wildcard(pattern, s string) bool {
	// Iterative matching with one backtrack point: linear enough for ARNs.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// describe prints statements for a failure message: one line each.
func describe(statements []samstack.Statement) string {
	var b strings.Builder
	for i, s := range statements {
		fmt.Fprintf(&b, "\n  [%d] %s %s on %s", i, s.Effect, strings.Join(s.Actions, ","), strings.Join(s.Resources, ","))
		ops := make([]string, 0, len(s.Condition))
		for op := range s.Condition {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		for _, op := range ops {
			keys := make([]string, 0, len(s.Condition[op]))
			for k := range s.Condition[op] {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " if %s %s %v", op, k, s.Condition[op][k])
			}
		}
	}
	if len(statements) == 0 {
		b.WriteString(" (none)")
	}
	return b.String()
}
