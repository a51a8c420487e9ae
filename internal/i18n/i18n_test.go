package i18n

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// Every surface file present for any language exists for all of them,
// with the same keys and, per key, the same placeholders; every file is a
// flat JSON object of strings. Console.json, written separately, is held
// to the same rule as soon as it lands.
func TestCatalogsAgree(t *testing.T) {
	if err := checkCatalogs(FS()); err != nil {
		t.Fatal(err)
	}
}

// The check itself fails on each kind of disagreement.
func TestCheckCatalogsCatches(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	good := fstest.MapFS{
		"locales/en/mail.json": file(`{"a":"Hello {name}","b":"x"}`),
		"locales/de/mail.json": file(`{"a":"Hallo {name}","b":"y"}`),
		"locales/nl/mail.json": file(`{"b":"z","a":"Hoi {name}"}`),
	}
	if err := checkCatalogs(good); err != nil {
		t.Fatalf("agreeing catalogs refused: %v", err)
	}
	for name, bad := range map[string]fstest.MapFS{
		"a key missing in one language": {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {name}"}`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"an extra key in one language":  {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {name}","b":"y","c":"z"}`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"a placeholder differs":         {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {nom}","b":"y"}`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"a surface missing in one":      {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": good["locales/de/mail.json"]},
		"a nested value":                {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {name}","b":{"c":"y"}}`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"not JSON":                      {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {name}","b":"y"`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"a repeated key":                {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": file(`{"a":"Hallo {name}","b":"y","b":"y"}`), "locales/nl/mail.json": good["locales/nl/mail.json"]},
		"a language the service lacks":  {"locales/en/mail.json": good["locales/en/mail.json"], "locales/de/mail.json": good["locales/de/mail.json"], "locales/nl/mail.json": good["locales/nl/mail.json"], "locales/fr/mail.json": good["locales/en/mail.json"]},
	} {
		if err := checkCatalogs(bad); err == nil {
			t.Errorf("%s: passed", name)
		}
	}
}

// checkCatalogs is the rule TestCatalogsAgree holds the embedded files to.
func checkCatalogs(fsys fs.FS) error {
	surfaces := map[string][]Lang{}
	langs, err := fs.ReadDir(fsys, "locales")
	if err != nil {
		return err
	}
	for _, d := range langs {
		if !slices.Contains(Languages(), Lang(d.Name())) {
			return errf("locales/%s: not a language the service speaks", d.Name())
		}
		entries, err := fs.ReadDir(fsys, path.Join("locales", d.Name()))
		if err != nil {
			return err
		}
		for _, e := range entries {
			surface, ok := strings.CutSuffix(e.Name(), ".json")
			if !ok {
				return errf("locales/%s/%s: not a .json file", d.Name(), e.Name())
			}
			surfaces[surface] = append(surfaces[surface], Lang(d.Name()))
		}
	}
	for surface := range surfaces {
		texts := map[Lang]map[string]string{}
		for _, lang := range Languages() {
			t, err := ReadFile(fsys, lang, surface)
			if err != nil {
				return err
			}
			texts[lang] = t
		}
		ref := texts[Fallback]
		for _, lang := range Languages() {
			for key, text := range texts[lang] {
				other, ok := ref[key]
				if !ok {
					return errf("%s/%s.json: %q is not in %s", lang, surface, key, Fallback)
				}
				if a, b := Placeholders(text), Placeholders(other); !slices.Equal(a, b) {
					return errf("%s/%s.json: %q has placeholders %v, %s has %v", lang, surface, key, a, Fallback, b)
				}
			}
			for key := range ref {
				if _, ok := texts[lang][key]; !ok {
					return errf("%s/%s.json: %q is missing", lang, surface, key)
				}
			}
		}
	}
	return nil
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func TestMatch(t *testing.T) {
	for in, want := range map[string]Lang{
		"de-CH":                            DE,
		"de-AT,de;q=0.9,en;q=0.8":          DE,
		"nl-BE":                            NL,
		"NL_nl":                            NL,
		"fr-FR,fr;q=0.9,nl;q=0.5,de;q=0.4": NL,
		"fr-FR":                            EN,
		"":                                 EN,
		"en;q=0.2,de;q=0.9":                DE,
		"de;q=0,nl;q=0.1":                  NL,
		"*":                                EN,
		"de;q=abc":                         EN,
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %s, want %s", in, got, want)
		}
	}
	if got := MatchOr("fr", NL); got != NL {
		t.Errorf("MatchOr(fr, nl) = %s", got)
	}
}

func TestT(t *testing.T) {
	if got := T(DE, "keep.kept", "name", "ci", "id", "pat_1"); got != "Ihr Token „ci“ (pat_1) bleibt erhalten." {
		t.Errorf("T(de) = %q", got)
	}
	if got := T(Lang("fr"), "keep.kept.heading"); got != "Kept" {
		t.Errorf("an unknown language reads in the fallback: %q", got)
	}
	// A value is put in as it is, never read again as a placeholder.
	if got := T(EN, "keep.kept", "name", "{id}", "id", "x"); got != "Your token “{id}” (x) is kept." {
		t.Errorf("T with a placeholder in a value = %q", got)
	}
}

func TestDates(t *testing.T) {
	at := time.Date(2026, 12, 7, 15, 4, 0, 0, time.FixedZone("CET", 3600))
	for lang, want := range map[Lang]string{EN: "7 December 2026, 14:04 UTC", DE: "7. Dezember 2026, 14:04 UTC", NL: "7 december 2026, 14:04 UTC"} {
		if got := DateTime(lang, at); got != want {
			t.Errorf("DateTime(%s) = %q, want %q", lang, got, want)
		}
	}
	if got := Date(DE, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); got != "1. März 2027" {
		t.Errorf("Date(de) = %q", got)
	}
}

func TestConsoleJSON(t *testing.T) {
	for _, lang := range Languages() {
		_, err := ConsoleJSON(lang)
		if _, statErr := fs.Stat(FS(), "locales/"+string(lang)+"/console.json"); (err == nil) != (statErr == nil) {
			t.Errorf("%s: ConsoleJSON says %v, the files say %v", lang, err, statErr)
		}
	}
}
