// Package scope holds the permission model: the catalog of resource groups,
// scopes "<resource>:<action>" and the set operations that keep a token
// within its owner's permissions.
package scope

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Actions are the CRUD verbs a scope grants, in display order.
var Actions = []string{"read", "create", "update", "delete"}

// SelfRotate lets a token rotate itself (POST /tokens/self/rotate of the
// management API): a machine renews its own secret without a person's
// sign-in.
const SelfRotate = "tokens:self-rotate"

// Own reports whether s is a scope an owner may grant to their own tokens
// whatever their permissions: it opens no path of any API the catalog
// describes (no action of Actions is "self-rotate") and acts only on the
// token itself, so an identity provider's permissions neither grant nor
// withhold it.
func Own(s string) bool { return s == SelfRotate }

// OwnScopes lists the Own scopes, sorted.
var OwnScopes = []string{SelfRotate}

//go:embed catalog.yaml
var defaultCatalog []byte

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Resource is one resource group of the catalog.
type Resource struct {
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description" json:"description"`
	Paths       []string `yaml:"paths" json:"paths"`
}

// Catalog is the validated list of resources.
type Catalog struct {
	Resources []Resource
	byName    map[string]bool
	scopes    map[string]map[string]string // resource → action → scope, built once
}

// Default returns the catalog compiled into the binary from catalog.yaml.
func Default() (*Catalog, error) { return Parse(defaultCatalog) }

// Parse reads and validates a catalog document.
func Parse(data []byte) (*Catalog, error) {
	var doc struct {
		Resources []Resource `yaml:"resources"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("scope catalog: %w", err)
	}
	if len(doc.Resources) == 0 {
		return nil, fmt.Errorf("scope catalog: no resources")
	}
	c := &Catalog{Resources: doc.Resources, byName: map[string]bool{}, scopes: map[string]map[string]string{}}
	paths := map[string]string{}
	for _, r := range doc.Resources {
		if !namePattern.MatchString(r.Name) {
			return nil, fmt.Errorf("scope catalog: resource name %q: want lowercase letters, digits and -", r.Name)
		}
		if c.byName[r.Name] {
			return nil, fmt.Errorf("scope catalog: resource %q listed twice", r.Name)
		}
		c.byName[r.Name] = true
		c.scopes[r.Name] = map[string]string{}
		for _, a := range Actions {
			c.scopes[r.Name][a] = r.Name + ":" + a
		}
		if len(r.Paths) == 0 {
			return nil, fmt.Errorf("scope catalog: resource %q has no paths", r.Name)
		}
		for _, p := range r.Paths {
			if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "*?{} ") {
				return nil, fmt.Errorf("scope catalog: resource %q path %q: want an absolute path prefix without a trailing slash", r.Name, p)
			}
			if !CanonicalPath(p) {
				return nil, fmt.Errorf("scope catalog: resource %q path %q: not a canonical path, so no request could match it", r.Name, p)
			}
			if other, dup := paths[p]; dup {
				return nil, fmt.Errorf("scope catalog: path %q belongs to both %q and %q", p, other, r.Name)
			}
			paths[p] = r.Name
		}
	}
	return c, nil
}

// All returns every scope the catalog defines, sorted.
func (c *Catalog) All() []string {
	out := make([]string, 0, len(c.Resources)*len(Actions))
	for _, r := range c.Resources {
		for _, a := range Actions {
			out = append(out, r.Name+":"+a)
		}
	}
	slices.Sort(out)
	return out
}

// Valid reports whether s is a scope of this catalog or an Own scope.
func (c *Catalog) Valid(s string) bool {
	if Own(s) {
		return true
	}
	resource, action, ok := strings.Cut(s, ":")
	return ok && c.byName[resource] && slices.Contains(Actions, action)
}

// Normalize validates requested scopes and returns them sorted without
// duplicates; unknown lists every scope the catalog does not define.
func (c *Catalog) Normalize(requested []string) (scopes, unknown []string) {
	for _, s := range requested {
		if c.Valid(s) {
			scopes = append(scopes, s)
		} else {
			unknown = append(unknown, s)
		}
	}
	slices.Sort(scopes)
	return slices.Compact(scopes), unknown
}

// Expand turns permission grants into concrete scopes. A grant is a scope,
// "<resource>:*" (every action on a resource), "*:<action>" or "*" (all).
// Grants the catalog does not know are dropped: an identity provider may
// carry permissions for other systems.
func (c *Catalog) Expand(grants []string) []string {
	var out []string
	for _, s := range c.All() {
		resource, action, _ := strings.Cut(s, ":")
		for _, g := range grants {
			if g == "*" || g == s || g == resource+":*" || g == "*:"+action {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// CheckGrant reports why g is not a grant of this catalog: a scope,
// "<resource>:*", "*:<action>" or "*", naming a resource the catalog has.
// Configuration (a group's grants) is held to this; grants from an identity
// provider's claims are not, see Expand.
func (c *Catalog) CheckGrant(g string) error {
	if g == "*" {
		return nil
	}
	resource, action, ok := strings.Cut(g, ":")
	switch {
	case !ok || resource == "" || action == "" || strings.Contains(action, ":"):
		return fmt.Errorf("grant %q: want <resource>:<action>, <resource>:*, *:<action> or *", g)
	case resource != "*" && !c.byName[resource]:
		return fmt.Errorf("grant %q: the catalog has no resource %q", g, resource)
	case action != "*" && !slices.Contains(Actions, action):
		return fmt.Errorf("grant %q: action must be one of %s or *", g, strings.Join(Actions, ", "))
	case resource == "*" && action == "*":
		return fmt.Errorf("grant %q: write * for every scope", g)
	}
	return nil
}

// Missing returns the scopes of want that have does not contain. Both
// sorted. Own scopes are never missing: no permission grants them.
func Missing(want, have []string) []string {
	var out []string
	for _, s := range want {
		if Own(s) {
			continue
		}
		if _, found := slices.BinarySearch(have, s); !found {
			out = append(out, s)
		}
	}
	return out
}

// Intersect returns the scopes present in both sorted lists.
func Intersect(a, b []string) []string {
	out := make([]string, 0, min(len(a), len(b)))
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); found {
			out = append(out, s)
		}
	}
	return out
}

// Effective returns the scopes of a token (sorted) that work: those its
// owner's permissions (sorted) still hold, and its Own scopes.
func Effective(token, permissions []string) []string {
	out := make([]string, 0, len(token))
	for _, s := range token {
		if _, found := slices.BinarySearch(permissions, s); found || Own(s) {
			out = append(out, s)
		}
	}
	return out
}

// ActionFor maps an HTTP method to the action it needs; ok is false for
// methods no scope covers (they are denied).
func ActionFor(method string) (action string, ok bool) {
	switch method {
	case "GET", "HEAD":
		return "read", true
	case "POST":
		return "create", true
	case "PUT", "PATCH":
		return "update", true
	case "DELETE":
		return "delete", true
	}
	return "", false
}

// Required returns the scope a request needs: the resource whose path the
// request path equals or continues after a "/", and the method's action.
// A path that is not canonical (see CanonicalPath) matches nothing, so it
// is denied rather than risk an over-grant.
func (c *Catalog) Required(method, path string) (string, bool) {
	action, ok := ActionFor(method)
	if !ok || !CanonicalPath(path) {
		return "", false
	}
	for _, r := range c.Resources {
		for _, p := range r.Paths {
			if strings.HasPrefix(path, p) && (len(path) == len(p) || path[len(p)] == '/') {
				return c.scopes[r.Name][action], true
			}
		}
	}
	return "", false
}
