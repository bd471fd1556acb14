/**
 * Query parameters whose value is a credential in camera and broker URLs (vendors put passwords and
 * tokens there: `?user=admin&password=…`, `?token=…`, signed URLs' `sig`), compared case-blind.
 */
const SECRET_PARAMS =
  /^(pass|passwd|password|pwd|pw|token|access_token|accesstoken|auth|authorization|key|apikey|api_key|secret|sig|signature|credential|credentials|session|sessionid|sid)$/i;

/** A URL inside free text: scheme://, then anything up to white space, quotes or brackets. */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()[\]{}]+/gi;

/**
 * A source or broker URL fit to print: every credential is replaced by `***` — the password of
 * the user info (`rtsp://admin:***@host/…`), the whole user info when it has no password (it may be
 * a token: `rtsp://***@host/…`), and the value of query parameters named like a credential
 * (`password`, `pass`, `pwd`, `token`, `key`, `auth`, `secret`, `sig`, …). Anything that is not a
 * `scheme://` URL (a file path) is returned as it is.
 */
export function redactSource(source: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)(.*)$/is.exec(source);
  if (!m) return source;
  const [, scheme, authority, rest] = m;
  // The user info ends at the last '@' of the authority (a password may itself hold '@').
  const at = authority.lastIndexOf('@');
  let shownAuthority = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at),
      host = authority.slice(at + 1);
    const colon = userinfo.indexOf(':');
    shownAuthority = `${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@${host}`;
  }
  return (
    scheme +
    shownAuthority +
    rest.replace(/([?&;])([^=&;#]+)=([^&;#]*)/g, (all, sep: string, name: string) => {
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        /* keep it as it is */
      }
      return SECRET_PARAMS.test(decoded.trim()) ? `${sep}${name}=***` : all;
    })
  );
}

/** Free text (an error message, a log line, a status reason) with the credentials of every URL in it redacted ({@link redactSource}). */
export function redactSecrets(text: string): string {
  return text.includes('://') ? text.replace(URL_IN_TEXT, (url) => redactSource(url)) : text;
}
