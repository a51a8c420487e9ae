// Package samstack is the stack as deployed: template.yaml and the stacks
// it nests (templates/) after the SAM transform (infra/cfn/sam_transform.py,
// the aws-sam-translator as installed), with their intrinsic functions
// resolved for a local deployment: parameters passed from a stack to the
// stacks it nests, and their outputs back. It is the one reader of the
// templates: the tests that run the functions as Lambda runs them take
// their environment, memory, timeout, logging and IAM policy from here, the
// local tables their key schema, the stack checks (internal/stackcheck)
// everything else, so that what is tested is what CloudFormation would
// create.
package samstack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Local describes the local deployment the template is resolved for.
type Local struct {
	Region, Account, StackName string // defaults us-east-1, 000000000000, pat
	// Params are parameter values; unset parameters take their Default.
	Params map[string]string
	// Names are physical names by logical id: the Ref of TokensTable is
	// the local table's name. Default: the logical id.
	Names map[string]string
	// Secrets resolve "{{resolve:secretsmanager:NAME:SecretString}}" by
	// NAME as resolved (the Ref of the secret: Names[logical id]).
	Secrets map[string]string
}

// Stack is a transformed template with the local deployment it is
// resolved for: template.yaml, or a stack it nests. Logical ids are unique
// across all of them, so a resource is named by its logical id alone.
type Stack struct {
	Local Local
	// File is the template's path from the repository's root
	// (templates/data.yaml); ID the logical id of the nested stack in its
	// Parent, "" for template.yaml.
	File, ID   string
	Parent     *Stack
	Nested     map[string]*Stack // by logical id
	Parameters map[string]Parameter
	Mappings   map[string]map[string]map[string]any
	Conditions map[string]any
	Resources  map[string]Resource // properties unresolved: Resolve them
	Outputs    map[string]Output
	// Source is the template as written (intrinsic functions in their long
	// form), for what the transform does not carry over (a function's
	// AutoPublishAliasAllProperties, its events as declared); nil when the
	// transformed templates came without it.
	Source map[string]any

	conditions map[string]bool
}

// Output is one output of a template, unresolved.
type Output struct {
	Condition string `json:"Condition"`
	Value     any    `json:"Value"`
}

// Parameter is a template parameter.
type Parameter struct {
	Type          string `json:"Type"`
	Default       any    `json:"Default"`
	AllowedValues []any  `json:"AllowedValues"`
}

// Resource is one resource of the transformed template.
type Resource struct {
	Type                string         `json:"Type"`
	Condition           string         `json:"Condition"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
	Metadata            map[string]any `json:"Metadata"`
	Properties          map[string]any `json:"Properties"`
}

// Templates are transformed templates by file name, as
// infra/cfn/sam_transform.py writes them: template.yaml.json and one for
// each template it nests (data.yaml.json), and each as written
// (source/data.yaml.json).
type Templates map[string][]byte

// packaged is where sam_transform.py says a nested template was uploaded:
// the prefix of the path it had in its Location.
const packaged = "https://s3.amazonaws.com/bucket/"

// Root is the service's template, from the repository's root.
const Root = "template.yaml"

// Sources returns the paths, from the repository's root, of the service's
// template and the templates it may nest: what Transform reads.
func Sources(root string) ([]string, error) {
	nested, err := filepath.Glob(filepath.Join(root, "templates", "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := []string{Root}
	for _, p := range nested {
		out = append(out, filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator))))
	}
	return out, nil
}

// Transform returns template.yaml of the repository at root and the stacks
// it nests, transformed by the SAM translator. The result is cached under
// <root>/.aws-sam/samstack by the content of the templates and the
// transform script: the translator takes seconds.
func Transform(root string) (Templates, error) {
	script := filepath.Join(root, "infra", "cfn", "sam_transform.py")
	sources, err := Sources(root)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, p := range append(sources, "infra/cfn/sam_transform.py") {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
	}
	dir := filepath.Join(root, ".aws-sam", "samstack", hex.EncodeToString(h.Sum(nil))[:16])
	if t, err := readTemplates(dir); err == nil {
		return t, nil
	}
	// A directory of this run's own, renamed into place: tests of several
	// packages may transform at once.
	tmp, err := os.MkdirTemp(filepath.Join(root, ".aws-sam"), "samstack-")
	if err != nil {
		if err := os.MkdirAll(filepath.Join(root, ".aws-sam"), 0o755); err != nil {
			return nil, err
		}
		if tmp, err = os.MkdirTemp(filepath.Join(root, ".aws-sam"), "samstack-"); err != nil {
			return nil, err
		}
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("python3", script, tmp, Root)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("SAM transform of %s: %v: %s", Root, err, msg)
	}
	t, err := readTemplates(tmp)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(filepath.Join(dir, Root+".json")); statErr != nil { // not another run's result
			return nil, err
		}
	}
	return t, nil
}

func readTemplates(dir string) (Templates, error) {
	if _, err := os.Stat(filepath.Join(dir, Root+".json")); err != nil {
		return nil, err
	}
	t := Templates{}
	for _, pattern := range []string{"*.json", "source/*.json"} {
		paths, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(dir, p)
			t[filepath.ToSlash(rel)] = b
		}
	}
	return t, nil
}

// Load transforms template.yaml of the repository at root and the stacks
// it nests, and parses them for local.
func Load(root string, local Local) (*Stack, error) {
	t, err := Transform(root)
	if err != nil {
		return nil, err
	}
	return Parse(t, local)
}

// Parse reads transformed templates for local, from template.yaml down the
// stacks it nests.
func Parse(t Templates, local Local) (*Stack, error) {
	if local.Region == "" {
		local.Region = "us-east-1"
	}
	if local.Account == "" {
		local.Account = "000000000000"
	}
	if local.StackName == "" {
		local.StackName = "pat"
	}
	s, err := parse(t, Root, "", nil, local)
	if err != nil {
		return nil, err
	}
	owners := map[string]string{}
	for _, st := range s.Stacks() {
		for id := range st.Resources {
			if other, ok := owners[id]; ok {
				return nil, fmt.Errorf("logical id %s in %s and %s: ids must be unique across the service's templates", id, other, st.File)
			}
			owners[id] = st.File
		}
	}
	// Conditions last: a nested stack's depend on its parameters, which
	// its parent resolves.
	for _, st := range s.Stacks() {
		for name := range st.Conditions {
			if _, err := st.condition(name, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", st.File, err)
			}
		}
	}
	return s, nil
}

func parse(t Templates, file, id string, parent *Stack, local Local) (*Stack, error) {
	b, ok := t[filepath.Base(file)+".json"]
	if !ok {
		return nil, fmt.Errorf("%s: not among the transformed templates", file)
	}
	s := &Stack{Local: local, File: file, ID: id, Parent: parent, Nested: map[string]*Stack{}, conditions: map[string]bool{}}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("parse transformed %s: %w", file, err)
	}
	if src, ok := t["source/"+filepath.Base(file)+".json"]; ok {
		if err := json.Unmarshal(src, &s.Source); err != nil {
			return nil, fmt.Errorf("parse %s as written: %w", file, err)
		}
	}
	for nid, r := range s.Resources {
		if r.Type != "AWS::CloudFormation::Stack" {
			continue
		}
		url, _ := r.Properties["TemplateURL"].(string)
		loc, ok := strings.CutPrefix(url, packaged)
		if !ok {
			return nil, fmt.Errorf("%s: nested stack %s: TemplateURL %q is not a local template", file, nid, url)
		}
		child, err := parse(t, path.Join(path.Dir(file), loc), nid, s, local)
		if err != nil {
			return nil, err
		}
		s.Nested[nid] = child
	}
	return s, nil
}

// Stacks returns s and every stack it nests, depth first, nested stacks
// by logical id.
func (s *Stack) Stacks() []*Stack {
	out := []*Stack{s}
	for _, id := range slices.Sorted(maps.Keys(s.Nested)) {
		out = append(out, s.Nested[id].Stacks()...)
	}
	return out
}

// Find returns the stack, among s and those it nests, that holds the
// resource with a logical id.
func (s *Stack) Find(id string) (*Stack, bool) {
	for _, st := range s.Stacks() {
		if _, ok := st.Resources[id]; ok {
			return st, true
		}
	}
	return nil, false
}

// Deployed reports whether the stack is created: template.yaml is, a
// nested stack when its parent is and the nested stack's Condition holds.
func (s *Stack) Deployed() bool {
	if s.Parent == nil {
		return true
	}
	r := s.Parent.Resources[s.ID]
	return s.Parent.Deployed() && (r.Condition == "" || s.Parent.Condition(r.Condition))
}

// Has reports whether the stack creates a resource of its own: it is
// deployed and the resource's Condition holds.
func (s *Stack) Has(id string) bool {
	r, ok := s.Resources[id]
	return ok && s.Deployed() && (r.Condition == "" || s.Condition(r.Condition))
}

// Condition reports the value of a named template condition.
func (s *Stack) Condition(name string) bool { return s.conditions[name] }

func (s *Stack) condition(name string, seen []string) (bool, error) {
	if v, ok := s.conditions[name]; ok {
		return v, nil
	}
	def, ok := s.Conditions[name]
	if !ok {
		return false, fmt.Errorf("condition %s: not defined", name)
	}
	for _, n := range seen {
		if n == name {
			return false, fmt.Errorf("condition %s: refers to itself", name)
		}
	}
	v, err := s.evalCondition(def, append(seen, name))
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	s.conditions[name] = v
	return v, nil
}

func (s *Stack) evalCondition(def any, seen []string) (bool, error) {
	m, ok := def.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("not a condition: %v", def)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return s.condition(name, seen)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals takes two values")
			}
			a, err := s.Resolve(args[0])
			if err != nil {
				return false, err
			}
			b, err := s.Resolve(args[1])
			if err != nil {
				return false, err
			}
			return text(a) == text(b), nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			var vals []bool
			for _, a := range args {
				v, err := s.evalCondition(a, seen)
				if err != nil {
					return false, err
				}
				vals = append(vals, v)
			}
			switch {
			case fn == "Fn::Not" && len(vals) == 1:
				return !vals[0], nil
			case fn == "Fn::And":
				for _, v := range vals {
					if !v {
						return false, nil
					}
				}
				return true, nil
			case fn == "Fn::Or":
				for _, v := range vals {
					if v {
						return true, nil
					}
				}
				return false, nil
			}
		}
		return false, fmt.Errorf("unsupported condition function %s", fn)
	}
	return false, nil
}

// noValue is what AWS::NoValue resolves to: the property is left out.
type noValue struct{}

// Resolve returns v with every intrinsic function resolved for the local
// deployment. Properties that resolve to AWS::NoValue are left out.
func (s *Stack) Resolve(v any) (any, error) {
	r, err := s.resolve(v)
	if err != nil {
		return nil, err
	}
	if _, ok := r.(noValue); ok {
		return nil, nil
	}
	return r, nil
}

func (s *Stack) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, 0, len(v))
		for _, e := range v {
			r, err := s.resolve(e)
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out = append(out, r)
			}
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return s.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := s.resolve(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, skip := r.(noValue); !skip {
				out[k] = r
			}
		}
		return out, nil
	case string:
		return s.dynamic(v)
	}
	return v, nil
}

var dynamicRef = regexp.MustCompile(`\{\{resolve:secretsmanager:([^:}]+):SecretString\}\}`)

// dynamic resolves dynamic references to secrets, as CloudFormation does
// at deploy time.
func (s *Stack) dynamic(v string) (string, error) {
	var err error
	out := dynamicRef.ReplaceAllStringFunc(v, func(m string) string {
		name := dynamicRef.FindStringSubmatch(m)[1]
		val, ok := s.Local.Secrets[name]
		if !ok {
			err = fmt.Errorf("dynamic reference to secret %s: not in Local.Secrets", name)
		}
		return val
	})
	return out, err
}

func (s *Stack) intrinsic(fn string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return s.ref(name)
	case "Fn::GetAtt":
		var parts []string
		switch a := arg.(type) {
		case string:
			parts = strings.SplitN(a, ".", 2)
		case []any:
			for _, p := range a {
				ps, _ := p.(string)
				parts = append(parts, ps)
			}
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt %v: want [resource, attribute]", arg)
		}
		return s.getAtt(parts[0], parts[1])
	case "Fn::Sub":
		tmpl, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) != 2 {
				return nil, fmt.Errorf("Fn::Sub: want a string or [string, variables]")
			}
			tmpl, _ = a[0].(string)
			m, _ := a[1].(map[string]any)
			for k, e := range m {
				r, err := s.resolve(e)
				if err != nil {
					return nil, err
				}
				vars[k] = r
			}
		}
		return s.sub(tmpl, vars)
	case "Fn::If":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::If: want [condition, then, else]")
		}
		name, _ := args[0].(string)
		c, err := s.condition(name, nil)
		if err != nil {
			return nil, err
		}
		if c {
			return s.resolve(args[1])
		}
		return s.resolve(args[2])
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join: want [delimiter, list]")
		}
		sep, _ := args[0].(string)
		list, err := s.resolve(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = text(it)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select: want [index, list]")
		}
		idx, err := s.resolve(args[0])
		if err != nil {
			return nil, err
		}
		list, err := s.resolve(args[1])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(text(idx))
		items, _ := list.([]any)
		if err != nil || i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select: index %v out of range", idx)
		}
		return items[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split: want [delimiter, string]")
		}
		sep, _ := args[0].(string)
		str, err := s.resolve(args[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(text(str), sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::FindInMap":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap: want [map, key, key]")
		}
		var keys [3]string
		for i, a := range args {
			r, err := s.resolve(a)
			if err != nil {
				return nil, err
			}
			keys[i] = text(r)
		}
		v, ok := s.Mappings[keys[0]][keys[1]][keys[2]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap %v: not in the template's mappings", keys)
		}
		return s.resolve(v)
	}
	return nil, fmt.Errorf("unsupported intrinsic function %s", fn)
}

func (s *Stack) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return s.Local.Region, nil
	case "AWS::AccountId":
		return s.Local.Account, nil
	case "AWS::StackName":
		return s.stackName(), nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000", s.Local.Region, s.Local.Account, s.stackName()), nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if p, ok := s.Parameters[name]; ok {
		return s.param(name, p)
	}
	if r, ok := s.Resources[name]; ok {
		if r.Condition != "" && !s.Condition(r.Condition) {
			return nil, fmt.Errorf("Ref %s: not created (condition %s is false)", name, r.Condition)
		}
		return s.name(name), nil
	}
	return nil, fmt.Errorf("Ref %s: no such parameter or resource in %s", name, s.File)
}

// stackName is AWS::StackName: CloudFormation names a nested stack after
// its parent and its logical id (and a suffix).
func (s *Stack) stackName() string {
	if s.Parent == nil {
		return s.Local.StackName
	}
	return s.Parent.stackName() + "-" + s.ID
}

// param is a parameter's value: for template.yaml the local value or its
// Default, for a nested stack what its parent passes (or its Default).
func (s *Stack) param(name string, p Parameter) (any, error) {
	if s.Parent == nil {
		if v, ok := s.Local.Params[name]; ok {
			return v, nil
		}
	} else {
		passed, _ := s.Parent.Resources[s.ID].Properties["Parameters"].(map[string]any)
		if v, ok := passed[name]; ok {
			r, err := s.Parent.resolve(v)
			if err != nil {
				return nil, fmt.Errorf("parameter %s of %s: %w", name, s.File, err)
			}
			return text(r), nil
		}
	}
	if p.Default == nil {
		return nil, fmt.Errorf("parameter %s of %s has no Default and no value", name, s.File)
	}
	return text(p.Default), nil
}

// namedBy are the properties that name a resource of a type, the name its
// Ref returns.
var namedBy = map[string]string{"AWS::Logs::LogGroup": "LogGroupName", "AWS::SSM::Parameter": "Name"}

// name is a resource's physical name: Local.Names, the name the template
// gives it, or its logical id.
func (s *Stack) name(id string) string {
	if n, ok := s.Local.Names[id]; ok {
		return n
	}
	r := s.Resources[id]
	if prop, ok := namedBy[r.Type]; ok && r.Properties[prop] != nil {
		if v, err := s.resolve(r.Properties[prop]); err == nil {
			return text(v)
		}
	}
	return id
}

// getAtt returns the attributes the template uses; an ARN is built the way
// the service builds it.
func (s *Stack) getAtt(id, attr string) (any, error) {
	r, ok := s.Resources[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource in %s", id, attr, s.File)
	}
	if r.Condition != "" && !s.Condition(r.Condition) {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: not created (condition %s is false)", id, attr, r.Condition)
	}
	if out, ok := strings.CutPrefix(attr, "Outputs."); ok && r.Type == "AWS::CloudFormation::Stack" {
		child := s.Nested[id]
		o, ok := child.Outputs[out]
		if !ok {
			return nil, fmt.Errorf("Fn::GetAtt %s.%s: %s has no such output", id, attr, child.File)
		}
		if o.Condition != "" && !child.Condition(o.Condition) {
			return nil, fmt.Errorf("Fn::GetAtt %s.%s: not created (condition %s of %s is false)", id, attr, o.Condition, child.File)
		}
		v, err := child.resolve(o.Value)
		if err != nil {
			return nil, fmt.Errorf("output %s of %s: %w", out, child.File, err)
		}
		return v, nil
	}
	region, account, name := s.Local.Region, s.Local.Account, s.name(id)
	if attr != "Arn" {
		return fmt.Sprintf("%s.%s", name, attr), nil
	}
	switch r.Type {
	case "AWS::DynamoDB::Table":
		return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, name), nil
	case "AWS::Lambda::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, name), nil
	case "AWS::SQS::Queue":
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, account, name), nil
	case "AWS::IAM::Role":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name), nil
	case "AWS::Cognito::UserPool":
		return fmt.Sprintf("arn:aws:cognito-idp:%s:%s:userpool/%s", region, account, name), nil
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, account, name), nil
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", strings.ToLower(strings.Split(r.Type, "::")[1]), region, account, name), nil
}

func (s *Stack) sub(tmpl string, vars map[string]any) (any, error) {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		if strings.HasPrefix(tmpl[i:], "${!") { // a literal ${
			b.WriteString("${")
			tmpl = tmpl[i+3:]
			continue
		}
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub %q: unclosed ${", tmpl)
		}
		name := tmpl[i+2 : i+j]
		tmpl = tmpl[i+j+1:]
		var v any
		var err error
		switch {
		case vars[name] != nil:
			v = vars[name]
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			parts := strings.SplitN(name, ".", 2)
			v, err = s.getAtt(parts[0], parts[1])
		default:
			v, err = s.ref(name)
		}
		if err != nil {
			return nil, err
		}
		b.WriteString(text(v))
	}
	return s.dynamic(b.String())
}

func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Function is one Lambda function built from functions/<Dir>, as the
// transformed template creates it.
type Function struct {
	LogicalID string            // CreateTokenFunction
	Name      string            // its physical name (the Ref): Local.Names, or the logical id
	Dir       string            // create-token: functions/<Dir>
	Env       map[string]string // Globals merged by SAM and its own, resolved
	// MemoryMB and TimeoutSeconds are Lambda's defaults (128, 3) when unset.
	MemoryMB, TimeoutSeconds int
	// From LoggingConfig, "" when unset.
	LogFormat, ApplicationLogLevel, SystemLogLevel string
	LogGroup                                       string // resolved log group name
	Statements                                     []Statement
}

// Statement is one statement of an IAM policy, resolved.
type Statement struct {
	Effect    string
	Actions   []string
	Resources []string
	// Condition maps an operator ("ForAllValues:StringLike") to its keys
	// ("dynamodb:LeadingKeys") and their values.
	Condition map[string]map[string][]string
}

// Dir returns the function directory of a logical id, the inverse of the
// Makefile's rule (create-token: CreateTokenFunction); "" when id is not
// such a name.
func Dir(logicalID string) string {
	base, ok := strings.CutSuffix(logicalID, "Function")
	if !ok || base == "" || !unicode.IsUpper(rune(base[0])) {
		return ""
	}
	var b strings.Builder
	for i, r := range base {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LogicalID returns the logical id of the function in functions/<dir>.
func LogicalID(dir string) string {
	var b strings.Builder
	for _, part := range strings.Split(dir, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "Function"
}

// Functions returns the functions built from functions/<dir> (their code
// is the package the Makefile builds for the logical id) that s and the
// stacks it nests create, sorted by logical id.
func (s *Stack) Functions() ([]Function, error) {
	var out []Function
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != "AWS::Lambda::Function" || !st.Has(id) {
				continue
			}
			code, _ := r.Properties["Code"].(map[string]any)
			if key, _ := code["S3Key"].(string); key != id+".zip" { // inline code: not ours to build
				continue
			}
			f, err := st.function(id, r)
			if err != nil {
				return nil, fmt.Errorf("function %s (%s): %w", id, st.File, err)
			}
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

func (s *Stack) function(id string, r Resource) (Function, error) {
	f := Function{LogicalID: id, Name: s.name(id), Dir: Dir(id), Env: map[string]string{}, MemoryMB: 128, TimeoutSeconds: 3}
	props, err := s.Resolve(r.Properties)
	if err != nil {
		return f, err
	}
	p, _ := props.(map[string]any)
	if env, ok := p["Environment"].(map[string]any); ok {
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			f.Env[k] = text(v)
		}
	}
	if v, ok := p["MemorySize"]; ok {
		if f.MemoryMB, err = strconv.Atoi(text(v)); err != nil {
			return f, fmt.Errorf("MemorySize: %w", err)
		}
	}
	if v, ok := p["Timeout"]; ok {
		if f.TimeoutSeconds, err = strconv.Atoi(text(v)); err != nil {
			return f, fmt.Errorf("Timeout: %w", err)
		}
	}
	if lc, ok := p["LoggingConfig"].(map[string]any); ok {
		f.LogFormat, f.ApplicationLogLevel, f.SystemLogLevel = text(lc["LogFormat"]), text(lc["ApplicationLogLevel"]), text(lc["SystemLogLevel"])
		f.LogGroup = text(lc["LogGroup"])
	}
	role, _ := r.Properties["Role"].(map[string]any)
	ga, _ := role["Fn::GetAtt"].([]any)
	if len(ga) == 2 {
		roleID, _ := ga[0].(string)
		if f.Statements, err = s.roleStatements(roleID); err != nil {
			return f, fmt.Errorf("role %s: %w", roleID, err)
		}
	}
	return f, nil
}

// roleStatements returns the statements of a role's inline policies.
// Managed policies (AWSLambdaBasicExecutionRole: logs only) are not
// included.
func (s *Stack) roleStatements(id string) ([]Statement, error) {
	r, ok := s.Resources[id]
	if !ok || r.Type != "AWS::IAM::Role" {
		return nil, errors.New("not a role of the template")
	}
	resolved, err := s.Resolve(r.Properties["Policies"])
	if err != nil {
		return nil, err
	}
	var policies []struct {
		PolicyDocument struct {
			Statement []struct {
				Effect    string                    `json:"Effect"`
				Action    any                       `json:"Action"`
				Resource  any                       `json:"Resource"`
				Condition map[string]map[string]any `json:"Condition"`
				// Not read into a Statement: refused below rather than ignored.
				NotAction   any `json:"NotAction"`
				NotResource any `json:"NotResource"`
			} `json:"Statement"`
		} `json:"PolicyDocument"`
	}
	b, _ := json.Marshal(resolved)
	if err := json.Unmarshal(b, &policies); err != nil {
		return nil, err
	}
	var out []Statement
	for _, p := range policies {
		for _, st := range p.PolicyDocument.Statement {
			if st.NotAction != nil || st.NotResource != nil {
				return nil, errors.New("a statement with NotAction or NotResource: teach internal/samstack (and the IAM check) to read it")
			}
			s := Statement{Effect: st.Effect, Actions: strs(st.Action), Resources: strs(st.Resource), Condition: map[string]map[string][]string{}}
			for op, keys := range st.Condition {
				s.Condition[op] = map[string][]string{}
				for k, v := range keys {
					s.Condition[op][k] = strs(v)
				}
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// strs reads a policy element that may be one string or a list.
func strs(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, text(e))
		}
		return out
	}
	return []string{text(v)}
}

// Origin follows a value that stands for another: a Ref to a nested
// stack's parameter to what its parent passes, a GetAtt of a nested
// stack's output to the output's value, until it is neither. It returns
// the stack where the value is written, and the value: {"Ref":
// "LifecycleFunction"} in templates/alarms.yaml has its origin in
// templates/lifecycle.yaml, where it is the function itself.
func (s *Stack) Origin(v any) (*Stack, any) {
	for {
		m, _ := v.(map[string]any)
		if len(m) != 1 {
			return s, v
		}
		if ref, ok := m["Ref"].(string); ok && s.Parent != nil {
			if _, isParam := s.Parameters[ref]; isParam {
				passed, _ := s.Parent.Resources[s.ID].Properties["Parameters"].(map[string]any)
				if p, ok := passed[ref]; ok {
					s, v = s.Parent, p
					continue
				}
			}
		}
		if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			id, _ := ga[0].(string)
			attr, _ := ga[1].(string)
			if out, ok := strings.CutPrefix(attr, "Outputs."); ok && s.Nested[id] != nil {
				if o, ok := s.Nested[id].Outputs[out]; ok {
					s, v = s.Nested[id], o.Value
					continue
				}
			}
		}
		return s, v
	}
}

// Resolved returns the properties, resolved, of every resource of a type
// that the stack and those it nests create, by logical id.
func (s *Stack) Resolved(typ string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, st := range s.Stacks() {
		for id, r := range st.Resources {
			if r.Type != typ || !st.Has(id) {
				continue
			}
			p, err := st.Resolve(r.Properties)
			if err != nil {
				return nil, fmt.Errorf("%s (%s): %w", id, st.File, err)
			}
			m, _ := p.(map[string]any)
			out[id] = m
		}
	}
	return out, nil
}
