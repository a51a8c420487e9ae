// Package docs_test checks the documentation as a reader follows it:
// README.md and the pages of docs/. A relative link must reach a file of
// the repository, and its #anchor a heading (by GitHub's rule) or an
// explicit anchor of the page it names; every page of docs/ must be linked
// from another page, so none is written and never found.
package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var (
	fence = regexp.MustCompile("(?ms)^ {0,3}```.*?^ {0,3}```[^\n]*$")
	// [text](target) and ![alt](target); the text may span lines.
	link     = regexp.MustCompile(`!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(([^()\s]+)\)`)
	heading  = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
	htmlID   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	external = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// page is one Markdown file: its links and the anchors it offers.
type page struct {
	path    string // relative to the repository root, slash-separated
	links   []string
	anchors map[string]bool
}

func readPage(t *testing.T, root, rel string) page {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	text := fence.ReplaceAllString(string(data), "")
	p := page{path: rel, anchors: map[string]bool{}}
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		p.links = append(p.links, m[2])
	}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		slug := slugOf(m[1])
		// GitHub numbers repeated headings: x, x-1, x-2, ...
		if n := seen[slug]; n > 0 {
			p.anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			p.anchors[slug] = true
		}
		seen[slug]++
	}
	for _, m := range htmlID.FindAllStringSubmatch(text, -1) {
		p.anchors[m[1]] = true
	}
	return p
}

// slugOf is GitHub's anchor of a heading: its text as rendered (no code
// marks, emphasis or link targets), lower case, with every character but
// letters, marks, digits, connector punctuation, spaces and hyphens
// removed, and spaces turned into hyphens.
func slugOf(h string) string {
	h = link.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-', unicode.IsLetter(r), unicode.IsMark(r), unicode.IsDigit(r), unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlugOf(t *testing.T) {
	for heading, want := range map[string]string{
		"Try it":                         "try-it",
		"The dev server's lifecycle job": "the-dev-servers-lifecycle-job",
		"Groups and permissions: `GroupPermissions`":        "groups-and-permissions-grouppermissions",
		"`tokens-table-throttles`, `audit-table-throttles`": "tokens-table-throttles-audit-table-throttles",
		"Mail: SES": "mail-ses",
		"The stack's own Cognito user pool (the default)": "the-stacks-own-cognito-user-pool-the-default",
		"See [the API](api.md) now":                       "see-the-api-now",
		"A_B and C.D":                                     "a_b-and-cd",
	} {
		if got := slugOf(heading); got != want {
			t.Errorf("slugOf(%q) = %q, want %q", heading, got, want)
		}
	}
}

// The pages: README.md and every Markdown file of docs/.
func pages(t *testing.T, root string) map[string]page {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]page{"README.md": readPage(t, root, "README.md")}
	for _, name := range names {
		rel := "docs/" + filepath.Base(name)
		all[rel] = readPage(t, root, rel)
	}
	return all
}

func TestLinks(t *testing.T) {
	for _, problem := range check(t, "..") {
		t.Error(problem)
	}
}

// check returns the dead links and anchors of the pages under root, and
// the pages of docs/ no other page links to.
func check(t *testing.T, root string) []string {
	t.Helper()
	all := pages(t, root)
	if len(all) < 2 {
		return []string{"no pages in docs/"}
	}
	var problems []string
	linkedFrom := map[string][]string{}
	for _, p := range all {
		for _, target := range p.links {
			if external.MatchString(target) {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := p.path
			if file != "" {
				dest = filepath.ToSlash(filepath.Join(filepath.Dir(p.path), file))
				if strings.HasPrefix(dest, "../") {
					problems = append(problems, fmt.Sprintf("%s: %s leaves the repository", p.path, target))
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dest))); err != nil {
					problems = append(problems, fmt.Sprintf("%s: dead link %s: no file %s", p.path, target, dest))
					continue
				}
				if dest != p.path {
					linkedFrom[dest] = append(linkedFrom[dest], p.path)
				}
			}
			if anchor == "" {
				continue
			}
			d, ok := all[dest]
			if !ok {
				if !strings.HasSuffix(dest, ".md") {
					continue // an anchor into a source file names a line on GitHub
				}
				d = readPage(t, root, dest)
			}
			if !d.anchors[anchor] {
				problems = append(problems, fmt.Sprintf("%s: dead anchor %s: %s has no heading or anchor %q", p.path, target, dest, anchor))
			}
		}
	}
	for path := range all {
		if path != "README.md" && len(linkedFrom[path]) == 0 {
			problems = append(problems, fmt.Sprintf("%s: no other page links to it (add it to the README's documentation table)", path))
		}
	}
	slices.Sort(problems)
	return problems
}

// The check catches what it is for: a dead file, a dead anchor and a page
// nothing links to; a link inside a code block is not a link.
func TestCheckFindsDeadLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(rel, text string) {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# R\n\n[a](docs/a.md#there) [b](docs/a.md#nowhere)\n[c](docs/gone.md) [d](#r)\n\n```sh\n[not](a/link.md)\n```\n")
	write("docs/a.md", "# A\n\n## There\n\n[back](../README.md#r) [self](#a)\n")
	write("docs/lonely.md", "# Lonely\n\n[up](../README.md)\n")
	want := []string{
		`README.md: dead anchor docs/a.md#nowhere: docs/a.md has no heading or anchor "nowhere"`,
		"README.md: dead link docs/gone.md: no file docs/gone.md",
		"docs/lonely.md: no other page links to it (add it to the README's documentation table)",
	}
	if got := check(t, dir); !slices.Equal(got, want) {
		t.Errorf("check found\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
