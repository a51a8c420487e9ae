// Package i18n is the one place per language for every text of the
// service: locales/<lang>/<surface>.json holds, for each language, the
// texts of one surface (mail: every mail; pages: the keep page and the
// problem pages; console: the web console, served to the browser as it
// is). Each file is a flat JSON object "key": "text" whose placeholders are
// written {name}. The server's surfaces are read through T; the console's
// file is served as it is (ConsoleJSON).
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lang is a language the service speaks: a primary language subtag.
type Lang string

const (
	EN Lang = "en"
	DE Lang = "de"
	NL Lang = "nl"
)

// Fallback is the language of whoever asks for none the service speaks.
const Fallback = EN

// Languages returns the languages the service speaks, the fallback first.
func Languages() []Lang { return []Lang{EN, DE, NL} }

//go:embed locales
var files embed.FS

// FS returns the catalog files: locales/<lang>/<surface>.json.
func FS() fs.FS { return files }

// ConsoleJSON returns the console's texts in lang: the bytes of its
// console.json.
func ConsoleJSON(lang Lang) ([]byte, error) {
	b, err := files.ReadFile(path.Join("locales", string(lang), "console.json"))
	if err != nil {
		return nil, fmt.Errorf("console texts for %q: %w", lang, err)
	}
	return b, nil
}

// serverSurfaces are the files T reads: one key space, so no key may
// appear in two of them.
var serverSurfaces = []string{"mail", "pages"}

var catalog = mustLoad()

func mustLoad() map[Lang]map[string]string {
	c := map[Lang]map[string]string{}
	for _, lang := range Languages() {
		c[lang] = map[string]string{}
		for _, surface := range serverSurfaces {
			texts, err := ReadFile(files, lang, surface)
			if err != nil {
				panic(err)
			}
			for k, v := range texts {
				if _, dup := c[lang][k]; dup {
					panic(fmt.Sprintf("i18n: key %q of %s/%s.json is defined in another surface", k, lang, surface))
				}
				c[lang][k] = v
			}
		}
	}
	return c
}

// ReadFile reads locales/<lang>/<surface>.json from fsys as a flat JSON
// object of strings, refusing nested values and repeated keys.
func ReadFile(fsys fs.FS, lang Lang, surface string) (map[string]string, error) {
	name := path.Join("locales", string(lang), surface+".json")
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	texts, err := parseFlat(b)
	if err != nil {
		return nil, fmt.Errorf("i18n: %s: %w", name, err)
	}
	return texts, nil
}

func parseFlat(b []byte) (map[string]string, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	texts := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		key := tok.(string) // inside an object, a token is a key
		var text string
		if err := dec.Decode(&text); err != nil {
			return nil, fmt.Errorf("key %q: not a string: %w", key, err)
		}
		if _, dup := texts[key]; dup {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		texts[key] = text
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("text after the object")
	}
	return texts, nil
}

// Placeholders returns the sorted names of the {name} placeholders of text.
func Placeholders(text string) []string {
	var names []string
	for rest := text; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			break
		}
		names = append(names, rest[open+1:open+end])
		rest = rest[open+end+1:]
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// T returns the text of key in lang with its placeholders filled from
// args, pairs of name and value: T(DE, "keep.kept", "name", t.Name). A key
// missing in lang reads in the fallback language; a key missing there
// reads as itself, which the catalog's test prevents.
func T(lang Lang, key string, args ...string) string {
	text, ok := catalog[lang][key]
	if !ok {
		if text, ok = catalog[Fallback][key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// Parse reads a language tag (BCP 47, any case: de, de-CH, nl_BE) as a
// language the service speaks, by its primary subtag.
func Parse(tag string) (Lang, bool) {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	l := Lang(strings.ToLower(primary))
	return l, slices.Contains(Languages(), l)
}

// Match reads an Accept-Language header, or a single tag such as an
// identity provider's locale claim, and returns the language the service
// speaks that the caller prefers most; Fallback if it speaks none.
func Match(acceptLanguage string) Lang { return MatchOr(acceptLanguage, Fallback) }

// MatchOr is Match with another fallback: a deployment's default language.
func MatchOr(acceptLanguage string, fallback Lang) Lang {
	best, bestQ := fallback, 0.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		if l, ok := Parse(tag); ok && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

var months = map[Lang][12]string{
	EN: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	DE: {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	NL: {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
}

// Date writes the day of t in UTC as people of lang write it in prose:
// 7 December 2026, 7. Dezember 2026, 7 december 2026.
func Date(lang Lang, t time.Time) string {
	t = t.UTC()
	m, ok := months[lang]
	if !ok {
		m = months[Fallback]
	}
	day := strconv.Itoa(t.Day())
	if lang == DE {
		day += "."
	}
	return day + " " + m[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// DateTime writes t in UTC with its time and zone: 7 December 2026, 15:04
// UTC; 7. Dezember 2026, 15:04 UTC.
func DateTime(lang Lang, t time.Time) string {
	return Date(lang, t) + ", " + t.UTC().Format("15:04") + " UTC"
}
