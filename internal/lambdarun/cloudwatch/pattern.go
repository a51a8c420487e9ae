// Package cloudwatch reads log lines as CloudWatch does: the metrics an
// Embedded Metric Format line publishes, and whether a metric filter's
// pattern matches a line. With the stack's alarms and metric filters it
// shows, from the lines real function runs wrote, which alarm's metric
// something publishes and which nothing does (Trace). Test support.
package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Pattern is a CloudWatch Logs filter pattern for JSON log events: the
// subset this stack's metric filters may use.
//
//	{ $.a = "x" || ($.b != "y*" && $.n >= 3) }
//
// Comparisons: = and != against a quoted or bare string, where * matches
// any run of characters; =, !=, <, >, <= and >= against a number;
// IS NULL, IS TRUE, IS FALSE, NOT EXISTS. Selectors: $.field, nested
// ($.a.b) and indexed ($.a[0]). && binds tighter than ||; parentheses
// group. A comparison with a field the line does not hold is false.
type Pattern struct {
	Text string
	root node
}

// ParsePattern parses a JSON filter pattern. A pattern outside the subset
// (a term pattern, a space-delimited one) is an error, so that a filter
// the checks cannot evaluate fails rather than passes.
func ParsePattern(text string) (*Pattern, error) {
	p := &parser{src: text}
	p.skip()
	if !p.take("{") {
		return nil, fmt.Errorf("filter pattern %q: only JSON patterns ({ ... }) are supported", text)
	}
	root, err := p.expr()
	if err != nil {
		return nil, fmt.Errorf("filter pattern %q: %w", text, err)
	}
	if !p.take("}") {
		return nil, fmt.Errorf("filter pattern %q: want } at %q", text, p.rest())
	}
	if p.skip(); p.pos != len(p.src) {
		return nil, fmt.Errorf("filter pattern %q: unexpected %q after }", text, p.rest())
	}
	return &Pattern{Text: text, root: root}, nil
}

// Match reports whether the pattern matches a log line decoded as a JSON
// object.
func (p *Pattern) Match(line map[string]any) bool { return p.root.match(line) }

// Comparisons returns the pattern's comparisons, as written: what a
// report shows when nothing matched.
func (p *Pattern) Comparisons() []Comparison {
	var out []Comparison
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case logical:
			walk(n.left)
			walk(n.right)
		case Comparison:
			out = append(out, n)
		}
	}
	walk(p.root)
	return out
}

type node interface{ match(map[string]any) bool }

type logical struct {
	and         bool
	left, right node
}

func (l logical) match(line map[string]any) bool {
	if l.and {
		return l.left.match(line) && l.right.match(line)
	}
	return l.left.match(line) || l.right.match(line)
}

// Comparison is one test of a field.
type Comparison struct {
	Selector string // $.msg
	Op       string // =, !=, <, >, <=, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS
	Value    string // the string or number compared with; "" for the IS and EXISTS tests
	number   bool   // Value is a number
	path     []any  // field names (string) and indexes (int)
}

func (c Comparison) match(line map[string]any) bool {
	v, ok := lookup(line, c.path)
	switch c.Op {
	case "NOT EXISTS":
		return !ok
	case "IS NULL":
		return ok && v == nil
	case "IS TRUE", "IS FALSE":
		b, isBool := v.(bool)
		return ok && isBool && b == (c.Op == "IS TRUE")
	}
	if !ok {
		return false
	}
	if c.number {
		f, isNum := v.(float64)
		want, _ := strconv.ParseFloat(c.Value, 64)
		if !isNum {
			return false
		}
		switch c.Op {
		case "=":
			return f == want
		case "!=":
			return f != want
		case "<":
			return f < want
		case ">":
			return f > want
		case "<=":
			return f <= want
		case ">=":
			return f >= want
		}
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		return false
	}
	matched := glob(c.Value, s)
	if c.Op == "!=" {
		return !matched
	}
	return matched
}

// glob matches s against a value in which * stands for any run of
// characters (and nothing else is special).
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

func lookup(v any, p []any) (any, bool) {
	for _, step := range p {
		switch step := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[step]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || step >= len(a) {
				return nil, false
			}
			v = a[step]
		}
	}
	return v, true
}

type parser struct {
	src string
	pos int
}

func (p *parser) rest() string { return p.src[p.pos:] }

func (p *parser) skip() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

// take consumes tok (after spaces) if it comes next.
func (p *parser) take(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.rest(), tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *parser) expr() (node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.take("||") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = logical{left: left, right: right}
	}
	return left, nil
}

func (p *parser) and() (node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.take("&&") {
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = logical{and: true, left: left, right: right}
	}
	return left, nil
}

func (p *parser) unary() (node, error) {
	if p.take("(") {
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if !p.take(")") {
			return nil, fmt.Errorf("want ) at %q", p.rest())
		}
		return n, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (node, error) {
	p.skip()
	start := p.pos
	if !p.take("$") {
		return nil, fmt.Errorf("want a selector ($.field) at %q", p.rest())
	}
	var c Comparison
	for {
		switch {
		case strings.HasPrefix(p.rest(), "."):
			p.pos++
			name := p.word(func(r rune) bool {
				return r == '_' || r == '-' || r == ':' || unicode.IsLetter(r) || unicode.IsDigit(r)
			})
			if name == "" {
				return nil, fmt.Errorf("want a field name at %q", p.rest())
			}
			c.path = append(c.path, name)
			continue
		case strings.HasPrefix(p.rest(), "["):
			p.pos++
			n, err := strconv.Atoi(p.word(unicode.IsDigit))
			if err != nil || !p.take("]") {
				return nil, fmt.Errorf("want [index] at %q", p.rest())
			}
			c.path = append(c.path, n)
			continue
		}
		break
	}
	if len(c.path) == 0 {
		return nil, fmt.Errorf("want a field after $ at %q", p.rest())
	}
	c.Selector = p.src[start:p.pos]
	for _, test := range []string{"IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"} {
		if p.take(test) {
			c.Op = test
			return c, nil
		}
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.take(op) {
			c.Op = op
			break
		}
	}
	if c.Op == "" {
		return nil, fmt.Errorf("want a comparison after %s at %q", c.Selector, p.rest())
	}
	p.skip()
	if strings.HasPrefix(p.rest(), `"`) {
		end := strings.Index(p.src[p.pos+1:], `"`)
		if end < 0 {
			return nil, fmt.Errorf("unclosed string at %q", p.rest())
		}
		c.Value = p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
	} else {
		c.Value = p.word(func(r rune) bool {
			return !unicode.IsSpace(r) && !strings.ContainsRune(`(){}|&"`, r)
		})
		if c.Value == "" {
			return nil, fmt.Errorf("want a value after %s %s at %q", c.Selector, c.Op, p.rest())
		}
		_, err := strconv.ParseFloat(c.Value, 64)
		c.number = err == nil
	}
	if !c.number && c.Op != "=" && c.Op != "!=" {
		return nil, fmt.Errorf("%s %s %q: only = and != compare strings", c.Selector, c.Op, c.Value)
	}
	return c, nil
}

func (p *parser) word(ok func(rune) bool) string {
	start := p.pos
	for p.pos < len(p.src) && ok(rune(p.src[p.pos])) {
		p.pos++
	}
	return p.src[start:p.pos]
}
