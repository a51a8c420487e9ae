package iamcheck

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/patservice/pat/internal/samstack"
)

// tables are the stack's DynamoDB tables by physical name: what IAM needs
// to know of a table to fill in dynamodb:LeadingKeys.
type tables struct {
	region, account string
	byName          map[string]tableKeys
}

type tableKeys struct {
	partition string            // the table's partition key attribute
	indexes   map[string]string // index name → its partition key attribute
}

// stackTables reads the key schemas of the tables of the stack and those
// it nests (KeySchema, GlobalSecondaryIndexes, LocalSecondaryIndexes),
// named as the local deployment names them.
func stackTables(root *samstack.Stack) (tables, error) {
	t := tables{region: root.Local.Region, account: root.Local.Account, byName: map[string]tableKeys{}}
	for _, s := range root.Stacks() {
		if err := t.read(s); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (t tables) read(s *samstack.Stack) error {
	for id, r := range s.Resources {
		if r.Type != "AWS::DynamoDB::Table" || !s.Has(id) {
			continue
		}
		name, err := s.Resolve(map[string]any{"Ref": id})
		if err != nil {
			return fmt.Errorf("table %s: %w", id, err)
		}
		resolved, err := s.Resolve(r.Properties)
		if err != nil {
			return fmt.Errorf("table %s: %w", id, err)
		}
		b, err := json.Marshal(resolved)
		if err != nil {
			return fmt.Errorf("table %s: %w", id, err)
		}
		var props struct {
			KeySchema              []keyElement
			GlobalSecondaryIndexes []struct {
				IndexName string
				KeySchema []keyElement
			}
			LocalSecondaryIndexes []struct {
				IndexName string
				KeySchema []keyElement
			}
		}
		if err := json.Unmarshal(b, &props); err != nil {
			return fmt.Errorf("table %s: %w", id, err)
		}
		k := tableKeys{partition: hashKey(props.KeySchema), indexes: map[string]string{}}
		for _, ix := range props.GlobalSecondaryIndexes {
			k.indexes[ix.IndexName] = hashKey(ix.KeySchema)
		}
		for _, ix := range props.LocalSecondaryIndexes {
			k.indexes[ix.IndexName] = hashKey(ix.KeySchema)
		}
		if k.partition == "" {
			return fmt.Errorf("table %s: no HASH key in its KeySchema", id)
		}
		t.byName[fmt.Sprint(name)] = k
	}
	return nil
}

type keyElement struct {
	AttributeName string
	KeyType       string
}

func hashKey(schema []keyElement) string {
	for _, k := range schema {
		if k.KeyType == "HASH" {
			return k.AttributeName
		}
	}
	return ""
}

// arn is the ARN IAM checks for table (and index, if not empty).
func (t tables) arn(table, index string) string {
	a := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", t.region, t.account, table)
	if index != "" {
		a += "/index/" + index
	}
	return a
}

// attributeValue is a DynamoDB attribute value on the wire: {"S": "x"}.
type attributeValue map[string]json.RawMessage

// text is a key value as dynamodb:LeadingKeys carries it: the string, the
// number as written, or the binary's base64.
func (v attributeValue) text() (string, bool) {
	for _, typ := range []string{"S", "N", "B"} {
		if raw, ok := v[typ]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				return s, true
			}
		}
	}
	return "", false
}

// itemInput is every parameter of the item and query operations that
// names attributes or sets a condition key, on the wire (JSON 1.0).
type itemInput struct {
	TableName                 string
	IndexName                 string
	Key                       map[string]attributeValue
	Item                      map[string]attributeValue
	ProjectionExpression      string
	ConditionExpression       string
	UpdateExpression          string
	FilterExpression          string
	KeyConditionExpression    string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues map[string]attributeValue
	// The legacy parameters name attributes as map keys or lists.
	AttributesToGet  []string
	AttributeUpdates map[string]json.RawMessage
	Expected         map[string]json.RawMessage
	KeyConditions    map[string]struct{ AttributeValueList []attributeValue }
	QueryFilter      map[string]json.RawMessage
	ScanFilter       map[string]json.RawMessage
	Select           string
	ReturnValues     string
}

// kind is what an operation does with an item, which decides the
// condition keys it carries.
type kind int

const (
	read   kind = iota // GetItem, a key of BatchGetItem, a Get of TransactGetItems
	put                // PutItem, a PutRequest, a Put of TransactWriteItems
	update             // UpdateItem, an Update
	remove             // DeleteItem, a DeleteRequest, a Delete
	check              // a ConditionCheck
	query
	scan
)

// dynamoRequests turns one DynamoDB API call into what IAM authorizes:
// one request for a single-item or query operation, one per item for the
// transactions and batches (each with its own action, table and keys).
func (t tables) dynamoRequests(op string, body []byte) ([]Request, error) {
	switch op {
	case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan":
		var in itemInput
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		k := map[string]kind{"GetItem": read, "PutItem": put, "UpdateItem": update, "DeleteItem": remove, "Query": query, "Scan": scan}[op]
		return []Request{t.item("dynamodb:"+op, k, in, true, op)}, nil
	case "TransactWriteItems":
		var in struct {
			TransactItems []struct{ ConditionCheck, Put, Update, Delete *itemInput }
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		var out []Request
		for i, it := range in.TransactItems {
			call := func(what string) string { return fmt.Sprintf("%s item %d (%s)", op, i, what) }
			switch {
			case it.ConditionCheck != nil:
				out = append(out, t.item("dynamodb:ConditionCheckItem", check, *it.ConditionCheck, false, call("ConditionCheck")))
			case it.Put != nil:
				out = append(out, t.item("dynamodb:PutItem", put, *it.Put, false, call("Put")))
			case it.Update != nil:
				out = append(out, t.item("dynamodb:UpdateItem", update, *it.Update, false, call("Update")))
			case it.Delete != nil:
				out = append(out, t.item("dynamodb:DeleteItem", remove, *it.Delete, false, call("Delete")))
			default:
				return nil, fmt.Errorf("%s item %d: none of ConditionCheck, Put, Update, Delete", op, i)
			}
		}
		return out, nil
	case "TransactGetItems":
		var in struct{ TransactItems []struct{ Get *itemInput } }
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		var out []Request
		for i, it := range in.TransactItems {
			if it.Get == nil {
				return nil, fmt.Errorf("%s item %d: no Get", op, i)
			}
			out = append(out, t.item("dynamodb:GetItem", read, *it.Get, false, fmt.Sprintf("%s item %d (Get)", op, i)))
		}
		return out, nil
	case "BatchGetItem":
		// IAM's action is BatchGetItem itself, checked for every key of
		// every table.
		var in struct {
			RequestItems map[string]struct {
				Keys                     []map[string]attributeValue
				ProjectionExpression     string
				ExpressionAttributeNames map[string]string
				AttributesToGet          []string
			}
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		var out []Request
		for _, table := range sortedKeys(in.RequestItems) {
			ka := in.RequestItems[table]
			for i, key := range ka.Keys {
				out = append(out, t.item("dynamodb:BatchGetItem", read, itemInput{TableName: table, Key: key,
					ProjectionExpression: ka.ProjectionExpression, ExpressionAttributeNames: ka.ExpressionAttributeNames,
					AttributesToGet: ka.AttributesToGet}, false, fmt.Sprintf("%s %s key %d", op, table, i)))
			}
		}
		return out, nil
	case "BatchWriteItem":
		var in struct {
			RequestItems map[string][]struct {
				PutRequest    *struct{ Item map[string]attributeValue }
				DeleteRequest *struct{ Key map[string]attributeValue }
			}
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		var out []Request
		for _, table := range sortedKeys(in.RequestItems) {
			for i, w := range in.RequestItems[table] {
				call := fmt.Sprintf("%s %s request %d", op, table, i)
				switch {
				case w.PutRequest != nil:
					out = append(out, t.item("dynamodb:BatchWriteItem", put, itemInput{TableName: table, Item: w.PutRequest.Item}, false, call+" (Put)"))
				case w.DeleteRequest != nil:
					out = append(out, t.item("dynamodb:BatchWriteItem", remove, itemInput{TableName: table, Key: w.DeleteRequest.Key}, false, call+" (Delete)"))
				default:
					return nil, fmt.Errorf("%s: neither PutRequest nor DeleteRequest", call)
				}
			}
		}
		return out, nil
	}
	// Any other operation (DescribeTable, CreateTable, PartiQL...) is
	// checked by action and table; its condition keys are not modelled, so
	// a conditional grant cannot allow it.
	var in struct{ TableName, TableArn, ResourceArn string }
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r := Request{Action: "dynamodb:" + op, Resource: "*", Call: op,
		Unmodelled: fmt.Sprintf("iamcheck does not model the condition keys of dynamodb:%s", op)}
	switch {
	case in.TableName != "":
		r.Resource = t.arn(in.TableName, "")
	case in.TableArn != "":
		r.Resource = in.TableArn
	case in.ResourceArn != "":
		r.Resource = in.ResourceArn
	}
	return []Request{r}, nil
}

// item builds the request context of one item operation: the table or
// index ARN, dynamodb:LeadingKeys (the partition key values touched),
// dynamodb:Attributes (every top-level attribute the request names: keys,
// item, projection, condition, update, filter and key condition, with
// #placeholders expanded), dynamodb:Select (Query, Scan, and the reads,
// with the default DynamoDB applies) and dynamodb:ReturnValues (the
// single-item writes: NONE unless asked).
func (t tables) item(action string, k kind, in itemInput, single bool, call string) Request {
	r := Request{Action: action, Resource: t.arn(in.TableName, in.IndexName), Call: call, Keys: map[string][]string{}}
	if in.IndexName != "" && k != query && k != scan { // only Query and Scan read an index
		r.Unmodelled = "an item operation names an index"
		return r
	}
	table, known := t.byName[in.TableName]
	if !known {
		r.Unmodelled = fmt.Sprintf("table %q is not a table of the template", in.TableName)
		return r
	}
	partition := table.partition
	if in.IndexName != "" {
		p, ok := table.indexes[in.IndexName]
		if !ok {
			r.Unmodelled = fmt.Sprintf("index %q is not an index of table %s in the template", in.IndexName, in.TableName)
			return r
		}
		partition = p
	}

	var attrs []string
	addNames := func(names ...string) { attrs = append(attrs, names...) }
	for _, expr := range []string{in.ProjectionExpression, in.ConditionExpression, in.UpdateExpression, in.FilterExpression, in.KeyConditionExpression} {
		names, err := attributes(expr, in.ExpressionAttributeNames)
		if err != nil {
			r.Unmodelled = err.Error()
			return r
		}
		addNames(names...)
	}
	addNames(in.AttributesToGet...)
	for _, m := range []map[string]json.RawMessage{in.AttributeUpdates, in.Expected, in.QueryFilter, in.ScanFilter} {
		addNames(sortedKeys(m)...)
	}
	addNames(sortedKeys(in.Key)...)
	addNames(sortedKeys(in.Item)...)
	addNames(sortedKeys(in.KeyConditions)...)

	switch k {
	case read, update, remove, check, put:
		keys, field := in.Key, "Key"
		if k == put {
			keys, field = in.Item, "Item"
		}
		v, ok := keys[partition]
		if !ok {
			r.Unmodelled = fmt.Sprintf("no partition key %s in %s", partition, field)
			return r
		}
		if !r.setLeading(v) {
			return r
		}
	case query:
		v, err := queryPartition(in, partition)
		if err != nil {
			r.Unmodelled = err.Error()
			return r
		}
		if !r.setLeading(v) {
			return r
		}
	}
	// Scan touches every partition: it carries no dynamodb:LeadingKeys.

	slices.Sort(attrs)
	r.Keys["dynamodb:Attributes"] = slices.Compact(attrs)

	switch k {
	case read, query, scan:
		sel := in.Select
		switch {
		case sel != "":
		case in.ProjectionExpression != "" || len(in.AttributesToGet) > 0:
			sel = "SPECIFIC_ATTRIBUTES"
		case in.IndexName != "":
			sel = "ALL_PROJECTED_ATTRIBUTES"
		default:
			sel = "ALL_ATTRIBUTES"
		}
		r.Keys["dynamodb:Select"] = []string{sel}
	case put, update, remove:
		if single {
			rv := in.ReturnValues
			if rv == "" {
				rv = "NONE"
			}
			r.Keys["dynamodb:ReturnValues"] = []string{rv}
		}
	}
	return r
}

// setLeading sets dynamodb:LeadingKeys to the partition key value v.
func (r *Request) setLeading(v attributeValue) bool {
	s, ok := v.text()
	if !ok {
		r.Unmodelled = "the partition key value is not a string, number or binary"
		return false
	}
	r.Keys["dynamodb:LeadingKeys"] = []string{s}
	return true
}

// queryPartition is the partition key value a Query reads, from its key
// condition expression (or the legacy KeyConditions).
func queryPartition(in itemInput, partition string) (attributeValue, error) {
	if in.KeyConditionExpression != "" {
		placeholder, err := partitionValue(in.KeyConditionExpression, partition, in.ExpressionAttributeNames)
		if err != nil {
			return nil, err
		}
		v, ok := in.ExpressionAttributeValues[placeholder]
		if !ok {
			return nil, fmt.Errorf("key condition: %s is not in ExpressionAttributeValues", placeholder)
		}
		return v, nil
	}
	if kc, ok := in.KeyConditions[partition]; ok && len(kc.AttributeValueList) == 1 {
		return kc.AttributeValueList[0], nil
	}
	return nil, fmt.Errorf("Query without a condition on the partition key %s", partition)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
