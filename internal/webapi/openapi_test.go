package webapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Every route the mux serves is in openapi.json, and every operation
// there is served, with the same path parameters.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{"GET " + Prefix + "openapi.json": true}
	for _, rt := range (&api{}).routes() {
		served[rt.method+" "+Prefix+rt.path] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not in openapi.json: %s", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("in openapi.json but not served: %s", k)
		}
	}
	// The path parameters declared are the wildcards of the path.
	for path, item := range doc.Paths {
		var params []struct{ Name, In string }
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &params); err != nil {
				t.Fatal(err)
			}
		}
		var declared, wildcards []string
		for _, p := range params {
			if p.In == "path" {
				declared = append(declared, p.Name)
			}
		}
		for seg := range strings.SplitSeq(path, "/") {
			if strings.HasPrefix(seg, "{") {
				wildcards = append(wildcards, strings.Trim(seg, "{}"))
			}
		}
		if !slices.Equal(declared, wildcards) {
			t.Errorf("%s: path parameters %v, wildcards %v", path, declared, wildcards)
		}
	}
	if len(served) != len(documented) {
		t.Errorf("%d routes served, %d documented: %v", len(served), len(documented), slices.Sorted(maps.Keys(documented)))
	}
}

// The document holds together: every $ref resolves, every operation has
// a unique operationId and a success answer, and every error answer is
// the Error schema.
func TestOpenAPIStructure(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var target any = doc
				for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := target.(map[string]any)
					target = m[seg]
				}
				if target == nil {
					t.Errorf("$ref %s resolves to nothing", ref)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			o := op.(map[string]any)
			id, _ := o["operationId"].(string)
			if id == "" || ids[id] {
				t.Errorf("%s %s: operationId %q missing or taken", method, path, id)
			}
			ids[id] = true
			success := false
			for code := range o["responses"].(map[string]any) {
				success = success || strings.HasPrefix(code, "2")
			}
			if !success {
				t.Errorf("%s %s: no 2xx answer", method, path)
			}
		}
	}
}
