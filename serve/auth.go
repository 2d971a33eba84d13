package serve

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// How a client shows its API key. OpenAI clients and curl send
// "Authorization: Bearer KEY"; ollama-js sets any header; Ollama's Go
// client and CLI can set none, and take only OLLAMA_HOST. A key as the
// URL's user (http://KEY@host) works with api.NewClient given such a URL
// (net/http sends Basic auth from it), but not through OLLAMA_HOST:
// envconfig.Host keeps "KEY@host" as the host, which URL.String escapes
// to "KEY%40host" and the request fails to parse (TestOllamaHostUserinfo
// shows it). What OLLAMA_HOST can carry is a path, so the CLI's key goes
// in a path prefix, /k/KEY/ (docs/gateway-api.md).

// keyPathPrefix starts a path that carries the API key: /k/KEY/api/chat.
const keyPathPrefix = "/k/"

// queryKeyNames are query parameters that look like an API key. A key in
// the query string is refused: URLs end up in proxies' and browsers'
// histories.
var queryKeyNames = []string{"key", "api_key", "apikey", "api-key", "access_token", "token"}

var (
	errMalformedAuth = errors.New("malformed Authorization header")
	errQueryKey      = errors.New("API keys in the query string are refused (they end up in logs): send Authorization: Bearer <key>")
)

type pathKeyCtx struct{}

// credentials is the API key a request shows: from its path prefix, the
// Authorization header (Bearer, scheme in any case, or Basic with the
// key as user and no password, or as password), or X-API-Key. An error
// means it showed one the gateway cannot read, which is answered as an
// unknown key: a key in the query string, or a path key with a header
// key besides.
func credentials(r *http.Request) (string, error) {
	q := r.URL.Query()
	for _, n := range queryKeyNames {
		if q.Has(n) {
			return "", errQueryKey
		}
	}
	if k, ok := r.Context().Value(pathKeyCtx{}).(string); ok {
		// Two keys would leave which account pays to the order they are
		// read in.
		if len(r.Header.Values("Authorization")) > 0 || len(r.Header.Values("X-API-Key")) > 0 {
			return "", errMalformedAuth
		}
		return k, nil
	}
	switch hs := r.Header.Values("Authorization"); len(hs) {
	case 0:
	case 1:
		return authorizationKey(hs[0])
	default:
		return "", errMalformedAuth
	}
	if hs := r.Header.Values("X-API-Key"); len(hs) > 1 {
		return "", errMalformedAuth
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key")), nil
}

// authorizationKey reads the key of an Authorization header (RFC 7235:
// the scheme is case-insensitive).
func authorizationKey(h string) (string, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", errMalformedAuth
	}
	switch strings.ToLower(scheme) {
	case "bearer":
		return rest, nil
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", errMalformedAuth
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		switch {
		case !ok:
			return "", errMalformedAuth
		case pass != "":
			return pass, nil
		case user != "":
			return user, nil
		}
	}
	return "", errMalformedAuth
}

// apiKey is the request's key, "" when it shows none it could read.
func apiKey(r *http.Request) string {
	k, err := credentials(r)
	if err != nil {
		return ""
	}
	return k
}

// keyHash is the hash of a request's API key ("" without one).
func keyHash(r *http.Request) string {
	if k := apiKey(r); k != "" {
		return HashAPIKey(k)
	}
	return ""
}

// withPathKey serves /k/KEY/rest as /rest with KEY as the request's
// credentials. A path key with nothing after it is an empty key.
func withPathKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, keyPathPrefix)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		key, path, _ := strings.Cut(rest, "/")
		r2 := r.Clone(context.WithValue(r.Context(), pathKeyCtx{}, key))
		r2.URL.Path, r2.URL.RawPath = "/"+path, ""
		next.ServeHTTP(w, r2)
	})
}
