package iamcheck

import (
	"fmt"
	"strings"
)

// expression is one DynamoDB expression (projection, condition, filter,
// key condition or update) as a list of tokens.
type expression []token

type token struct {
	kind byte // 'n' name (plain or #placeholder), 'v' :value, 'd' number, 'p' punctuation
	text string
}

// tokenize splits a DynamoDB expression into names, :values, numbers and
// punctuation.
func tokenize(expr string) (expression, error) {
	var out expression
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':' || isNameStart(c):
			j := i + 1
			for j < len(expr) && isNamePart(expr[j]) {
				j++
			}
			kind := byte('n')
			if c == ':' {
				kind = 'v'
			}
			if j == i+1 && !isNameStart(c) {
				return nil, fmt.Errorf("expression %q: %q without a name at %d", expr, c, i)
			}
			out = append(out, token{kind, expr[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(expr) && expr[j] >= '0' && expr[j] <= '9' {
				j++
			}
			out = append(out, token{'d', expr[i:j]})
			i = j
		case strings.IndexByte("<>=", c) >= 0:
			j := i + 1
			if j < len(expr) && (expr[j] == '=' || c == '<' && expr[j] == '>') {
				j++
			}
			out = append(out, token{'p', expr[i:j]})
			i = j
		case strings.IndexByte("()[],.+-", c) >= 0:
			out = append(out, token{'p', string(c)})
			i++
		default:
			return nil, fmt.Errorf("expression %q: unexpected %q at %d", expr, c, i)
		}
	}
	return out, nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isNamePart(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9'
}

// keywords of the expression grammars: not attribute names (DynamoDB
// wants a #placeholder for an attribute named like one).
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "between": true, "in": true,
	"set": true, "remove": true, "add": true, "delete": true,
}

// attributes returns the top-level attribute names an expression refers
// to, with #placeholders resolved by names. A nested path (a.b, a[0])
// counts as its top-level attribute, as dynamodb:Attributes does.
func attributes(expr string, names map[string]string) ([]string, error) {
	if expr == "" {
		return nil, nil
	}
	toks, err := tokenize(expr)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, t := range toks {
		if t.kind != 'n' {
			continue
		}
		if i > 0 && toks[i-1].text == "." { // a.b: b is nested in a
			continue
		}
		if t.text[0] != '#' {
			if i+1 < len(toks) && toks[i+1].text == "(" { // a function: size(a), begins_with(a, :p)
				continue
			}
			if keywords[strings.ToLower(t.text)] {
				continue
			}
			out = append(out, t.text)
			continue
		}
		name, ok := names[t.text]
		if !ok {
			return nil, fmt.Errorf("expression %q: %s is not in ExpressionAttributeNames", expr, t.text)
		}
		out = append(out, name)
	}
	return out, nil
}

// partitionValue finds, in a key condition expression, the value the
// partition key attribute key is compared to with =, as a :placeholder.
func partitionValue(expr, key string, names map[string]string) (string, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return "", err
	}
	resolve := func(t token) string {
		if t.kind == 'n' && strings.HasPrefix(t.text, "#") {
			return names[t.text]
		}
		return t.text
	}
	for i := 0; i+2 < len(toks); i++ {
		a, op, b := toks[i], toks[i+1], toks[i+2]
		if op.text != "=" {
			continue
		}
		if a.kind == 'n' && resolve(a) == key && b.kind == 'v' {
			return b.text, nil
		}
		if b.kind == 'n' && resolve(b) == key && a.kind == 'v' {
			return a.text, nil
		}
	}
	return "", fmt.Errorf("key condition %q: no equality on the partition key %s", expr, key)
}
