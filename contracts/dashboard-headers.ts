/**
 * The security headers every dashboard response carries, on AWS (the CloudFront response-headers
 * policy) and on the local dashboard server alike: one definition for both.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Header names in lower case, as HTTP/2 sends them. */
export const DASHBOARD_SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "content-security-policy": DASHBOARD_CONTENT_SECURITY_POLICY,
} as const;

/** HSTS, sent only over HTTPS (CloudFront); the local server on plain-HTTP loopback does not send it. */
export const DASHBOARD_HSTS_MAX_AGE_SECONDS = 2 * 365 * 86_400;
