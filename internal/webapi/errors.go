package webapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/petrelmail/petrel/internal/ops"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// Error kinds of the API besides those of ops.Kind.
const (
	kindUnauthorized = "unauthorized"           // 401: no or wrong credentials
	kindForbidden    = "forbidden"              // 403: not allowed to do this
	kindThrottled    = "throttled"              // 429: too many failed logins
	kindTLSRequired  = "tls_required"           // 403: credentials over plain HTTP
	kindTooLarge     = "too_large"              // 413
	kindMediaType    = "unsupported_media_type" // 415: a body that is not JSON
	kindNotFound     = "not_found"
	kindMethod       = "method_not_allowed" // 405
)

// apiError is a failure as the API answers it.
type apiError struct {
	Status  int    `json:"-"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// kindName is the JSON name of an ops.Kind.
func kindName(k ops.Kind) string {
	return strings.ReplaceAll(k.String(), " ", "_")
}

// invalidField is a validation error about field.
func invalidField(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Kind: kindName(ops.KindInvalid), Field: field, Message: fmt.Sprintf(format, args...)}
}

// toAPIError maps an operation's error to the API's; internal reports
// whether its text must stay out of the answer (it is logged).
func toAPIError(err error) (e *apiError, internal bool) {
	if errors.As(err, &e) {
		return e, false
	}
	var oe *ops.Error
	if errors.As(err, &oe) {
		if oe.Kind == ops.KindInternal {
			return &apiError{Status: http.StatusInternalServerError, Kind: kindName(ops.KindInternal), Message: "internal error; the server log has the details"}, true
		}
		return &apiError{Status: oe.Kind.HTTPStatus(), Kind: kindName(oe.Kind), Message: oe.Msg, Field: oe.Field}, false
	}
	if errors.Is(err, ops.ErrBadToken) {
		return &apiError{Status: http.StatusUnauthorized, Kind: kindUnauthorized, Message: "invalid credentials"}, false
	}
	return &apiError{Status: http.StatusInternalServerError, Kind: kindName(ops.KindInternal), Message: "internal error; the server log has the details"}, true
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers e.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}

// decode reads the JSON body of r into v: at most maxBody octets, one
// object with known fields only. Its errors name the field at fault.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, false)
}

// decodeOptional is decode for a body that may be left out.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	// JSON only: a form a browser may send cross-site without asking
	// (text/plain, urlencoded) is never read as a request.
	if r.ContentLength != 0 {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return &apiError{Status: http.StatusUnsupportedMediaType, Kind: kindMediaType,
				Message: "the body must be application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if optional && errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		if dec.More() {
			return invalidField("", "the body must hold one JSON object")
		}
		return nil
	}
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
		se  *json.SyntaxError
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Kind: kindTooLarge, Message: fmt.Sprintf("the body is larger than %d octets", maxBody)}
	case errors.As(err, &ute):
		return invalidField(ute.Field, "%s must be a JSON %s, not %s", ute.Field, jsonType(ute.Type.Kind().String()), ute.Value)
	case errors.As(err, &se):
		return invalidField("", "the body is not valid JSON (at octet %d)", se.Offset)
	case errors.Is(err, io.EOF):
		return invalidField("", "the body must be a JSON object")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return invalidField(f, "unknown field %q", f)
	}
	return invalidField("", "the body is not the JSON object expected: %v", err)
}

// jsonType names a Go kind as a JSON type.
func jsonType(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "bool":
		return "boolean"
	case kind == "slice":
		return "array"
	case kind == "struct", kind == "map":
		return "object"
	}
	return kind
}

// required fails when value is empty.
func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalidField(field, "%s is required", field)
	}
	return nil
}
