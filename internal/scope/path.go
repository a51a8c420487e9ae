package scope

import (
	"unicode"
	"unicode/utf8"
)

// CanonicalPath reports whether path is in the one form the authorizer
// decides on. A backend behind the gateway may read a path differently from
// a plain prefix match (a Java server cuts ";params" from a segment and then
// resolves "..", a Windows server takes "\" for "/", another decodes twice
// or normalizes Unicode), so every spelling that some server reinterprets is
// refused, whichever field of the event it comes in and whether API Gateway
// passed it percent-encoded (REST APIs) or decoded (HTTP APIs). A path is
// refused when, anywhere in it:
//
//   - it does not start with "/", or has an empty segment ("//"; one
//     trailing "/" is allowed);
//   - a segment is made only of dots and spaces (".", "..", "...", ". "),
//     literal or encoded;
//   - it holds ";", "\", "?", "#", a control character (NUL included), or
//     a "%" that does not start a two-digit escape;
//   - an escape encodes one of those, "/", "%", or a character that never
//     needs encoding (letters, digits, "-", ".", "_", "~": "%2e", "%41");
//   - its bytes (literal and escaped together) are not UTF-8, overlong forms
//     ("%c0%ae") included;
//   - a non-ASCII character is punctuation, a space, a mathematical or
//     currency symbol, a format, private-use or unassigned character (the
//     full-width and small forms of ".", "/", "\", ";", "%" and "¥" are
//     among them), or one whose compatibility form holds "." or "/" ("⒈",
//     "℀"): letters, marks, digits and other symbols pass.
//
// It allocates nothing: the authorizer runs it on every decision.
func CanonicalPath(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	var (
		utf        [utf8.UTFMax]byte // a multi-byte character being read
		have, need int
		empty      = true // the segment so far is empty
		dots       = true // the segment so far holds only dots and spaces
	)
	for i := 1; i <= len(path); i++ {
		if i == len(path) || path[i] == '/' {
			switch {
			case have > 0: // a character cut off
				return false
			case empty && i < len(path):
				return false
			case !empty && dots:
				return false
			}
			empty, dots = true, true
			continue
		}
		c, escaped := path[i], false
		if c == '%' {
			if i+2 >= len(path) {
				return false
			}
			hi, ok1 := unhex(path[i+1])
			lo, ok2 := unhex(path[i+2])
			if !ok1 || !ok2 {
				return false
			}
			c, escaped = hi<<4|lo, true
			i += 2
		}
		empty = false
		if c >= utf8.RuneSelf {
			if have == 0 {
				if need = utf8Len(c); need == 0 {
					return false
				}
			}
			utf[have] = c
			if have++; have < need {
				continue
			}
			r, size := utf8.DecodeRune(utf[:have])
			if r == utf8.RuneError || size != have || !pathRune(r) {
				return false
			}
			have, dots = 0, false
			continue
		}
		if have > 0 || !pathByte(c, escaped) {
			return false
		}
		dots = dots && (c == '.' || c == ' ')
	}
	return true
}

// pathByte reports whether an ASCII character may stand in a path segment,
// as itself or escaped.
func pathByte(c byte, escaped bool) bool {
	switch {
	case c < 0x20 || c == 0x7f:
		return false
	case c == ';' || c == '\\' || c == '?' || c == '#' || c == '/' || c == '%':
		return false
	case escaped:
		return !unreserved(c)
	}
	return true
}

// unreserved are RFC 3986's characters that never need an escape: an
// escape of one can only serve to read differently.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// pathRune reports whether a non-ASCII character may stand in a path.
func pathRune(r rune) bool {
	if unicode.Is(compatPunct, r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r) || unicode.In(r, unicode.So, unicode.Sk)
}

// compatPunct are the letters, digits and symbols whose compatibility
// decomposition (NFKC) holds "." or "/": a server that normalizes would
// read a dot segment or a new segment into them. path_test.go checks this
// table against the Unicode tables.
var compatPunct = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x2100, Hi: 0x2101, Stride: 1}, // ℀ ℁: a/c, a/s
		{Lo: 0x2105, Hi: 0x2106, Stride: 1}, // ℅ ℆: c/o, c/u
		{Lo: 0x2488, Hi: 0x249b, Stride: 1}, // ⒈ … ⒛: "1." … "20."
		{Lo: 0x33c2, Hi: 0x33c7, Stride: 5}, // ㏂ ㏇: a.m., Co.
		{Lo: 0x33d8, Hi: 0x33d8, Stride: 1}, // ㏘: p.m.
	},
	R32: []unicode.Range32{
		{Lo: 0x1f100, Hi: 0x1f100, Stride: 1}, // 🄀: "0."
	},
}

// utf8Len is the length of the UTF-8 sequence lead starts; 0 if lead cannot
// start one (a continuation byte, or an overlong or out-of-range lead).
func utf8Len(lead byte) int {
	switch {
	case 0xc2 <= lead && lead <= 0xdf:
		return 2
	case 0xe0 <= lead && lead <= 0xef:
		return 3
	case 0xf0 <= lead && lead <= 0xf4:
		return 4
	}
	return 0
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
