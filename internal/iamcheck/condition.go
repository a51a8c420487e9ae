package iamcheck

import (
	"fmt"
	"slices"
	"strings"
)

// conditionsHold evaluates a statement's Condition block against r: every
// operator and every key in it must hold (AND); a key holds when the
// request's value matches any of the policy's values (OR). An operator
// this checker does not know is an error, never a pass.
func conditionsHold(block map[string]map[string][]string, r Request) (bool, error) {
	if len(block) == 0 {
		return true, nil
	}
	if r.Unmodelled != "" {
		return false, fmt.Errorf("the statement has conditions, but %s", r.Unmodelled)
	}
	ops := make([]string, 0, len(block))
	for op := range block {
		ops = append(ops, op)
	}
	slices.Sort(ops) // a stable order for error messages
	for _, op := range ops {
		keys := make([]string, 0, len(block[op]))
		for k := range block[op] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			ctx, present := r.Keys[key]
			ok, err := evalOperator(op, key, block[op][key], ctx, present)
			if err != nil {
				return false, fmt.Errorf("%s %s: %w", op, key, err)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

// operator is a parsed condition operator: ForAllValues:StringLikeIfExists
// is {set: "ForAllValues", base: "StringLike", ifExists: true}.
type operator struct {
	set      string // "", "ForAllValues" or "ForAnyValue"
	base     string
	ifExists bool
}

func parseOperator(op string) operator {
	var o operator
	if set, rest, ok := strings.Cut(op, ":"); ok {
		o.set, op = set, rest
	}
	o.base, o.ifExists = strings.CutSuffix(op, "IfExists")
	return o
}

// evalOperator evaluates one key of one operator, with IAM's rules for a
// key the request does not carry: ...IfExists holds; ForAllValues holds
// (also on an empty set); ForAnyValue does not; a negated operator
// (StringNotEquals, StringNotLike) holds; every other operator does not.
func evalOperator(op, key string, policy, ctx []string, present bool) (bool, error) {
	o := parseOperator(op)
	if o.set != "" && o.set != "ForAllValues" && o.set != "ForAnyValue" {
		return false, fmt.Errorf("unknown set operator %q", o.set)
	}
	for _, v := range policy {
		if strings.Contains(v, "${") {
			return false, fmt.Errorf("policy variable in %q: not supported by this checker", v)
		}
	}
	if o.base == "Null" {
		if o.set != "" || o.ifExists || len(policy) != 1 {
			return false, fmt.Errorf("Null takes one value, without a set operator or IfExists")
		}
		switch strings.ToLower(policy[0]) {
		case "true":
			return !present || len(ctx) == 0, nil
		case "false":
			return present && len(ctx) > 0, nil
		}
		return false, fmt.Errorf("Null takes true or false, not %q", policy[0])
	}
	match, negated, err := matcher(o.base)
	if err != nil {
		return false, err
	}
	one := func(v string) bool {
		for _, p := range policy {
			if match(p, v) {
				return !negated
			}
		}
		return negated
	}
	if !present || len(ctx) == 0 {
		switch {
		case o.ifExists:
			return true, nil
		case o.set == "ForAllValues":
			return true, nil
		case o.set == "ForAnyValue":
			return false, nil
		}
		return negated, nil
	}
	switch o.set {
	case "ForAllValues":
		for _, v := range ctx {
			if !one(v) {
				return false, nil
			}
		}
		return true, nil
	case "ForAnyValue":
		return slices.ContainsFunc(ctx, one), nil
	}
	if len(ctx) > 1 {
		// IAM wants a set operator for a multivalued key; which value a
		// single-valued operator would compare is not for this checker to
		// guess.
		return false, fmt.Errorf("the request carries %d values for %s: a single-valued operator cannot evaluate it (use ForAllValues or ForAnyValue)", len(ctx), key)
	}
	return one(ctx[0]), nil
}

// matcher returns how an operator compares a policy value with a request
// value, and whether the operator is negated.
func matcher(base string) (match func(policy, value string) bool, negated bool, err error) {
	switch base {
	case "StringEquals":
		return func(p, v string) bool { return p == v }, false, nil
	case "StringNotEquals":
		return func(p, v string) bool { return p == v }, true, nil
	case "StringEqualsIgnoreCase", "Bool":
		return strings.EqualFold, false, nil
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true, nil
	case "StringLike", "ArnLike", "ArnEquals":
		return wildcard, false, nil
	case "StringNotLike", "ArnNotLike", "ArnNotEquals":
		return wildcard, true, nil
	}
	return nil, false, fmt.Errorf("unknown condition operator %q: this checker denies what it cannot evaluate", base)
}
