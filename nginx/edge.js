// Checks nginx's own configuration cannot express, run on every request before it is proxied (nginx.conf.template,
// js_set $edge_refusal). What they refuse, an instance's HTTP decoder would refuse too, but with a bare status and no
// body (no hook of Quarkus or Vert.x changes that response): refused here, it gets a problem+json page.
//   "target": the request target has a byte RFC 3986 does not allow (", <, >, \, {, }, |, ^, `, space, non-ASCII)
//             or a % not followed by two hex digits; java.net.URI, which Quarkus checks every request with, refuses it
//   "header": a header value holds a control character other than tab (RFC 9110 5.5); nginx itself refuses only
//             NUL, CR and LF, and forwards the rest
var TARGET = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@\/?]|%[0-9A-Fa-f]{2})*$/;
var CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

function refusal(r) {
    if (!TARGET.test(r.variables.request_uri)) {
        return 'target';
    }
    var headers = r.rawHeadersIn;
    for (var i = 0; i < headers.length; i++) {
        if (CONTROL.test(headers[i][1])) {
            return 'header';
        }
    }
    return '';
}

export default { refusal };
