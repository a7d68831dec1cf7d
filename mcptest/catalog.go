package mcptest

import (
	"encoding/base64"
	"strings"

	"github.com/mcpstress/mcpstress/wire"
)

// The resources and prompts of the reference server: a fixed, read-only
// catalog.

const (
	resourceHello    = "mcptest://static/hello"
	resourceBlob     = "mcptest://static/blob"
	resourceEchoBase = "mcptest://echo/"
	helloText        = "Hello from the mcpstress reference server."
)

// blobBase64 returns the blob resource's content: bytes 0..255, base64.
func blobBase64() string {
	var b [256]byte
	for i := range b {
		b[i] = byte(i)
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

const resourcesListFields = `"resources":[` +
	`{"uri":"` + resourceHello + `","name":"hello","mimeType":"text/plain"},` +
	`{"uri":"` + resourceBlob + `","name":"blob","mimeType":"application/octet-stream"}]`

const templatesListFields = `"resourceTemplates":[{"uriTemplate":"` + resourceEchoBase +
	`{text}","name":"echo","description":"Reads back the text in the URI.","mimeType":"text/plain"}]`

const promptsListFields = `"prompts":[` +
	`{"name":"simple","description":"A prompt without arguments."},` +
	`{"name":"greet","description":"Greets someone by name.","arguments":[{"name":"name","description":"Who to greet","required":true}]}]`

// readResource appends the fields of a ReadResourceResult for uri.
func readResource(dst []byte, uri string, modern bool) ([]byte, *rpcError) {
	var mime, text, blob string
	switch {
	case uri == resourceHello:
		mime, text = "text/plain", helloText
	case uri == resourceBlob:
		mime, blob = "application/octet-stream", blobBase64()
	case strings.HasPrefix(uri, resourceEchoBase) && len(uri) > len(resourceEchoBase):
		mime, text = "text/plain", uri[len(resourceEchoBase):]
	default:
		code := wire.CodeResourceNotFound
		if modern {
			code = wire.CodeInvalidParams
		}
		e := errorf(code, "resource not found: "+uri)
		e.Data = appendString([]byte(`{"uri":`), uri)
		e.Data = append(e.Data, '}')
		return dst, e
	}
	dst = append(dst, `"contents":[{"uri":`...)
	dst = appendString(dst, uri)
	dst = append(dst, `,"mimeType":`...)
	dst = appendString(dst, mime)
	if blob != "" {
		dst = append(dst, `,"blob":`...)
		dst = appendString(dst, blob)
	} else {
		dst = append(dst, `,"text":`...)
		dst = appendString(dst, text)
	}
	return append(dst, "}]"...), nil
}

// getPrompt appends the fields of a GetPromptResult.
func getPrompt(dst []byte, name string, args map[string]string) ([]byte, *rpcError) {
	var desc, text string
	switch name {
	case "simple":
		desc, text = "A prompt without arguments.", "Say something simple."
	case "greet":
		who, ok := args["name"]
		if !ok {
			return dst, errorf(wire.CodeInvalidParams, `prompt "greet": missing required argument "name"`)
		}
		desc, text = "Greets someone by name.", "Hello, "+who+"!"
	default:
		return dst, errorf(wire.CodeInvalidParams, "unknown prompt: "+name)
	}
	dst = append(dst, `"description":`...)
	dst = appendString(dst, desc)
	dst = append(dst, `,"messages":[{"role":"user","content":{"type":"text","text":`...)
	dst = appendString(dst, text)
	return append(dst, "}}]"...), nil
}
