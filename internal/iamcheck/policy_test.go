package iamcheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/patservice/pat/internal/samstack"
)

// IAM's rules, each on a policy of its own: how actions, resources and
// every condition operator decide, and what the evaluator refuses to
// guess.
func TestEvaluate(t *testing.T) {
	const table = "arn:aws:dynamodb:us-east-1:000000000000:table/tokens"
	allow := func(actions []string, resources []string, cond map[string]map[string][]string) samstack.Statement {
		return samstack.Statement{Effect: "Allow", Actions: actions, Resources: resources, Condition: cond}
	}
	get := func(keys map[string][]string) Request {
		return Request{Action: "dynamodb:GetItem", Resource: table, Keys: keys}
	}
	cond := func(op, key string, values ...string) map[string]map[string][]string {
		return map[string]map[string][]string{op: {key: values}}
	}
	leading := func(v ...string) map[string][]string { return map[string][]string{"dynamodb:LeadingKeys": v} }
	cases := []struct {
		name   string
		policy []samstack.Statement
		req    Request
		want   bool
		reason string // a part of the reason, when it matters
	}{
		{"nothing allows: implicit deny", nil, get(nil), false, "implicit deny"},
		{"exact action and resource", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, nil)}, get(nil), true, ""},
		{"other action", []samstack.Statement{allow([]string{"dynamodb:PutItem"}, []string{table}, nil)}, get(nil), false, "implicit deny"},
		{"action wildcard", []samstack.Statement{allow([]string{"dynamodb:Get*"}, []string{table}, nil)}, get(nil), true, ""},
		{"service wildcard", []samstack.Statement{allow([]string{"dynamodb:*"}, []string{"*"}, nil)}, get(nil), true, ""},
		{"action case-insensitive", []samstack.Statement{allow([]string{"DynamoDB:getitem"}, []string{table}, nil)}, get(nil), true, ""},
		{"wildcard of another service", []samstack.Statement{allow([]string{"ses:*"}, []string{"*"}, nil)}, get(nil), false, "implicit deny"},
		{"resource case-sensitive", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{strings.ToUpper(table)}, nil)}, get(nil), false, "implicit deny"},
		{"other table", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table + "-2"}, nil)}, get(nil), false, "implicit deny"},
		{"index wildcard matches an index", []samstack.Statement{allow([]string{"dynamodb:Query"}, []string{table + "/index/*"}, nil)},
			Request{Action: "dynamodb:Query", Resource: table + "/index/byOwner"}, true, ""},
		{"index wildcard is not the table", []samstack.Statement{allow([]string{"dynamodb:Query"}, []string{table + "/index/*"}, nil)},
			Request{Action: "dynamodb:Query", Resource: table}, false, "implicit deny"},
		{"a table grant is not its index", []samstack.Statement{allow([]string{"dynamodb:Query"}, []string{table}, nil)},
			Request{Action: "dynamodb:Query", Resource: table + "/index/byOwner"}, false, "implicit deny"},
		{"explicit deny wins", []samstack.Statement{
			allow([]string{"dynamodb:*"}, []string{"*"}, nil),
			{Effect: "Deny", Actions: []string{"dynamodb:GetItem"}, Resources: []string{"*"}},
		}, get(nil), false, "explicitly denied by statement 1"},

		{"ForAllValues:StringLike, every value matches", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringLike", "dynamodb:LeadingKeys", "NOTICE#*"))},
			get(leading("NOTICE#1", "NOTICE#2")), true, ""},
		{"ForAllValues:StringLike, one value does not", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringLike", "dynamodb:LeadingKeys", "NOTICE#*"))},
			get(leading("NOTICE#1", "TOKEN#2")), false, "implicit deny"},
		{"ForAllValues on a missing key holds", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringEquals", "dynamodb:Attributes", "pk"))},
			get(nil), true, ""},
		{"ForAllValues on an empty set holds", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringEquals", "dynamodb:Attributes", "pk"))},
			get(map[string][]string{"dynamodb:Attributes": {}}), true, ""},
		{"ForAnyValue, one value matches", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAnyValue:StringEquals", "dynamodb:Attributes", "status"))},
			get(map[string][]string{"dynamodb:Attributes": {"pk", "status"}}), true, ""},
		{"ForAnyValue on a missing key fails", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAnyValue:StringEquals", "dynamodb:Attributes", "status"))},
			get(nil), false, "implicit deny"},
		{"StringEquals on a missing key fails", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEquals", "dynamodb:Select", "SPECIFIC_ATTRIBUTES"))},
			get(nil), false, "implicit deny"},
		{"StringEquals, any policy value", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEquals", "dynamodb:Select", "COUNT", "SPECIFIC_ATTRIBUTES"))},
			get(map[string][]string{"dynamodb:Select": {"SPECIFIC_ATTRIBUTES"}}), true, ""},
		{"StringEquals is case-sensitive", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEquals", "dynamodb:Select", "specific_attributes"))},
			get(map[string][]string{"dynamodb:Select": {"SPECIFIC_ATTRIBUTES"}}), false, "implicit deny"},
		{"StringEqualsIgnoreCase", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEqualsIgnoreCase", "dynamodb:Select", "specific_attributes"))},
			get(map[string][]string{"dynamodb:Select": {"SPECIFIC_ATTRIBUTES"}}), true, ""},
		{"StringEqualsIfExists on a missing key holds", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEqualsIfExists", "dynamodb:ReturnValues", "NONE"))},
			get(nil), true, ""},
		{"StringEqualsIfExists on a present key compares", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringEqualsIfExists", "dynamodb:ReturnValues", "NONE"))},
			get(map[string][]string{"dynamodb:ReturnValues": {"ALL_NEW"}}), false, "implicit deny"},
		{"StringNotEquals on a missing key holds", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringNotEquals", "dynamodb:Select", "COUNT"))},
			get(nil), true, ""},
		{"StringNotLike on a present key", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringNotLike", "dynamodb:Select", "ALL_*"))},
			get(map[string][]string{"dynamodb:Select": {"ALL_ATTRIBUTES"}}), false, "implicit deny"},
		{"StringLike ? is one character", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringLike", "dynamodb:Select", "COUN?"))},
			get(map[string][]string{"dynamodb:Select": {"COUNT"}}), true, ""},
		{"Null true: the key is missing", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("Null", "dynamodb:Select", "true"))},
			get(nil), true, ""},
		{"Null false: the key is missing", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("Null", "dynamodb:Select", "false"))},
			get(nil), false, "implicit deny"},
		{"every key and operator must hold", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, map[string]map[string][]string{
			"ForAllValues:StringEquals": {"dynamodb:Attributes": {"pk", "sk"}},
			"StringEqualsIfExists":      {"dynamodb:ReturnValues": {"NONE"}},
		})}, get(map[string][]string{"dynamodb:Attributes": {"pk"}, "dynamodb:ReturnValues": {"ALL_OLD"}}), false, "implicit deny"},

		{"unknown operator: denied, not skipped", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("NumericLessThan", "dynamodb:Select", "3"))},
			get(nil), false, "unknown condition operator"},
		{"unknown operator beside an unconditional allow", []samstack.Statement{
			allow([]string{"dynamodb:GetItem"}, []string{table}, nil),
			{Effect: "Deny", Actions: []string{"dynamodb:GetItem"}, Resources: []string{table}, Condition: cond("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z")},
		}, get(nil), false, "unknown condition operator"},
		{"single-valued operator on several values", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("StringLike", "dynamodb:LeadingKeys", "NOTICE#*"))},
			get(leading("NOTICE#1", "NOTICE#2")), false, "single-valued operator"},
		{"conditions on a request the checker cannot describe", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringLike", "dynamodb:LeadingKeys", "NOTICE#*"))},
			Request{Action: "dynamodb:GetItem", Resource: table, Unmodelled: "test: keys unknown"}, false, "test: keys unknown"},
		{"no conditions: the request's keys do not matter", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, nil)},
			Request{Action: "dynamodb:GetItem", Resource: table, Unmodelled: "test: keys unknown"}, true, ""},
		{"policy variables are not evaluated", []samstack.Statement{allow([]string{"dynamodb:GetItem"}, []string{table}, cond("ForAllValues:StringEquals", "dynamodb:LeadingKeys", "${aws:userid}"))},
			get(leading("x")), false, "policy variable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.policy, tc.req)
			if got.Allowed != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("allowed %v (%s), want %v (%q)", got.Allowed, got.Reason, tc.want, tc.reason)
			}
			if got.Allowed != (len(got.Grants) > 0) {
				t.Errorf("allowed %v with grants %v", got.Allowed, got.Grants)
			}
		})
	}
}

// dynamodb:Attributes counts top-level attributes: nested paths by their
// first element, #placeholders expanded, functions and keywords skipped.
func TestAttributes(t *testing.T) {
	names := map[string]string{"#s": "status", "#n": "name", "#d": "data"}
	cases := []struct {
		expr string
		want []string
	}{
		{"SET lastUsedAt = :at, lastUsedIp = :ip, lastUsedUserAgent = :ua", []string{"lastUsedAt", "lastUsedIp", "lastUsedUserAgent"}},
		{"attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :notBefore)", []string{"pk", "lastUsedAt", "lastUsedAt"}},
		{"SET #s = :s, #d.inner[0].x = :v REMOVE dueDay, dueAt ADD rev :one", []string{"status", "data", "dueDay", "dueAt", "rev"}},
		{"#n, scopes[1], owner.email", []string{"name", "scopes", "owner"}},
		{"size(#n) BETWEEN :a AND :b AND begins_with(sk, :p) AND NOT contains(tags, :t) AND kind IN (:x, :y)", []string{"name", "sk", "tags", "kind"}},
		{"SET n = if_not_exists(n, :z) + :one, l = list_append(l, :v)", []string{"n", "n", "l", "l"}},
		{"", nil},
	}
	for _, tc := range cases {
		got, err := attributes(tc.expr, names)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("attributes(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
	if _, err := attributes("SET #unknown = :v", names); err == nil {
		t.Error("a placeholder that is not in ExpressionAttributeNames: no error")
	}
}

// The partition key value of a Query, from its key condition.
func TestPartitionValue(t *testing.T) {
	names := map[string]string{"#o": "ownerPk"}
	for expr, want := range map[string]string{
		"ownerPk = :o AND ownerSk < :s":            ":o",
		"#o = :owner AND begins_with(ownerSk, :p)": ":owner",
		":x = ownerPk": ":x",
	} {
		if got, err := partitionValue(expr, "ownerPk", names); err != nil || got != want {
			t.Errorf("partitionValue(%q) = %q, %v; want %q", expr, got, err, want)
		}
	}
	if _, err := partitionValue("ownerSk = :s", "ownerPk", names); err == nil {
		t.Error("a key condition without the partition key: no error")
	}
}
