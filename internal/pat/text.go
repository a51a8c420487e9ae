package pat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names, descriptions and reasons end up in lists, consoles, logs and mail
// subjects. Each must be valid UTF-8 text a person can see and read in the
// order it is stored: no control characters, no bidirectional embeddings,
// overrides or isolates (which make "exe.gpj" display as "jpg.exe"), and
// not only invisible characters.

func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(CodeInvalid, "name: required")
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return "", Errorf(CodeInvalid, "name: at most %d characters", MaxNameLen)
	}
	// A name is one line: no line breaks of any kind.
	if strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
		return "", Errorf(CodeInvalid, "name: control characters and line breaks are not allowed")
	}
	return name, checkText("name", name)
}

func cleanDescription(desc string) (string, error) {
	return cleanText("description", desc, MaxDescriptionLen)
}

// cleanText trims free text (a description, a reason) and checks it.
func cleanText(field, s string, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxLen {
		return "", Errorf(CodeInvalid, "%s: at most %d characters", field, maxLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) {
		return "", Errorf(CodeInvalid, "%s: control characters other than line breaks are not allowed", field)
	}
	if s == "" {
		return "", nil
	}
	return s, checkText(field, s)
}

// checkText refuses what cleanName and cleanText both refuse.
func checkText(field, s string) error {
	switch {
	case !utf8.ValidString(s):
		return Errorf(CodeInvalid, "%s: not valid UTF-8 text", field)
	case strings.ContainsRune(s, utf8.RuneError):
		// What a decoder leaves where the text was not valid UTF-8.
		return Errorf(CodeInvalid, "%s: holds U+FFFD, the mark of text that was not valid UTF-8; send valid UTF-8", field)
	case strings.ContainsFunc(s, isBidiControl):
		return Errorf(CodeInvalid, "%s: bidirectional embedding, override and isolate characters (U+202A to U+202E, U+2066 to U+2069) are not allowed", field)
	case !strings.ContainsFunc(s, func(r rune) bool { return !isInvisible(r) }):
		return Errorf(CodeInvalid, "%s: needs at least one visible character", field)
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// isInvisible reports characters that show nothing by themselves: spaces,
// format characters (zero-width space and joiners, soft hyphen, BOM),
// variation selectors, fillers and the blank braille pattern.
func isInvisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || r == '\u2800'
}
