/** Issue 10, network hardening: the proxy decision and URL redaction, as pure functions. */
import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor } from '../../src/http/proxy.js';
import { redactText, redactUrl, redactUserinfo } from '../../src/http/redact.js';

const bypass = (url: string, noProxy: string) => bypassesProxy(new URL(url), noProxy);

describe('NO_PROXY (curl and Python requests rules)', () => {
  it('takes CIDR blocks for IPv4 and IPv6 targets', () => {
    expect(bypass('https://10.1.2.3:5000/v3', '10.0.0.0/8')).toBe(true);
    expect(bypass('https://11.1.2.3/', '10.0.0.0/8')).toBe(false);
    expect(bypass('http://127.0.0.1:8774/', '127.0.0.0/8')).toBe(true);
    expect(bypass('http://[::1]:5000/', '::1/128')).toBe(true);
    expect(bypass('http://[::1]:5000/', '[::1]/128')).toBe(true);
    expect(bypass('http://[fd00::5]/', 'fd00::/8')).toBe(true);
    expect(bypass('http://[fe80::5]/', 'fd00::/8')).toBe(false);
    expect(bypass('http://10.0.0.1/', '::/0')).toBe(false);
  });

  it('takes * alone, leading-dot and *. domains, host:port entries, any case, commas or spaces', () => {
    expect(bypass('https://keystone.example.com/', '*')).toBe(true);
    expect(bypass('https://keystone.example.com/', 'foo, *')).toBe(true);
    expect(bypass('https://keystone.example.com/', '.example.com')).toBe(true);
    expect(bypass('https://keystone.example.com/', '*.EXAMPLE.com')).toBe(true);
    expect(bypass('https://example.com/', '.example.com')).toBe(true);
    expect(bypass('https://badexample.com/', 'example.com')).toBe(false);
    expect(bypass('https://Keystone.Example.COM/', 'keystone.example.com')).toBe(true);
    expect(bypass('https://keystone.example.com:5000/', 'keystone.example.com:5000')).toBe(true);
    expect(bypass('https://keystone.example.com/', 'keystone.example.com:5000')).toBe(false);
    expect(bypass('https://keystone.example.com/', 'keystone.example.com:443')).toBe(true);
    expect(bypass('http://[::1]:5000/', '[::1]:5000')).toBe(true);
    expect(bypass('http://[::1]:5000/', '::1')).toBe(true);
    expect(bypass('http://10.0.0.1/', 'a.example  10.0.0.1')).toBe(true);
  });

  it('never matches an IP by name suffix, nor a name by CIDR; ignores malformed entries', () => {
    expect(bypass('http://127.0.0.1/', '0.0.1')).toBe(false);
    expect(bypass('http://localhost/', '127.0.0.0/8')).toBe(false);
    expect(bypass('http://10.0.0.1/', '10.0.0.0/99,10.0.0.0/x,/8,')).toBe(false);
    expect(bypass('http://10.0.0.1/', '')).toBe(false);
  });
});

describe('proxyFor: one decision per request', () => {
  it('picks the proxy by scheme, lower case first, and names the variable', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'http://plain:8080' };
    expect(proxyFor('https://k.example/v3', env)).toEqual({ url: 'http://lower:3128', variable: 'https_proxy' });
    expect(proxyFor('http://k.example/v3', env)).toEqual({ url: 'http://plain:8080', variable: 'HTTP_PROXY' });
    // No cross-over: an https target with only HTTP_PROXY set goes direct, as with curl and requests.
    expect(proxyFor('https://k.example/v3', { HTTP_PROXY: 'http://plain:8080' })).toBeUndefined();
  });

  it('assumes http:// for a proxy without a scheme; NO_PROXY wins; empty is unset', () => {
    expect(proxyFor('https://k.example/', { HTTPS_PROXY: 'proxy.corp:3128' })).toEqual({
      url: 'http://proxy.corp:3128',
      variable: 'HTTPS_PROXY',
    });
    expect(proxyFor('https://k.example/', { HTTPS_PROXY: 'proxy.corp:3128', no_proxy: 'k.example' })).toBeUndefined();
    expect(proxyFor('https://k.example/', { HTTPS_PROXY: ' ' })).toBeUndefined();
  });

  it('an unusable proxy value is exit 2 naming the variable, without its password', () => {
    expect(() => proxyFor('https://k.example/', { HTTPS_PROXY: 'http://u:pw@[bad' })).toThrow(
      /^HTTPS_PROXY is not a valid proxy URL: http:\/\/<redacted>@\[bad$/,
    );
    expect(() => proxyFor('https://k.example/', { https_proxy: 'socks5://h:1080' })).toThrow(
      /https_proxy uses socks5, which osconsole does not support/,
    );
  });
});

describe('userinfo redaction', () => {
  it('redactUrl hides userinfo without a fingerprint, and still hides console tokens', () => {
    expect(redactUrl('https://alice:s3cret@h.example/v3?x=1')).toBe('https://<redacted>@h.example/v3?x=1');
    expect(redactUrl('https://alice@h.example/v3')).toBe('https://<redacted>@h.example/v3');
    const consoleUrl = redactUrl('https://u:p@h/vnc_auto.html?path=%3Ftoken%3Dabcdef');
    expect(consoleUrl).toMatch(/^https:\/\/<redacted>@h\/vnc_auto\.html\?path=<redacted/);
    expect(consoleUrl).not.toContain('abcdef');
    expect(redactUrl('https://h.example/v3')).toBe('https://h.example/v3');
  });

  it('a redacted URL reads as one: the fingerprint is not percent-encoded, and redactText leaves it whole', () => {
    const url = redactUrl('http://h:6082/nova?token=82ede9c4&x=1&path=%3Ftoken%3Dabc');
    expect(url).toMatch(
      /^http:\/\/h:6082\/nova\?token=<redacted sha256:[0-9a-f]{8}>&x=1&path=<redacted sha256:[0-9a-f]{8}>$/,
    );
    expect(redactText(`GET ${url}`)).toBe(`GET ${url}`);
  });

  it('redactText hides userinfo and console tokens in free text, plain or percent-encoded', () => {
    const text = '{"url": "http://h:6080/vnc_lite.html?path=%3Ftoken%3Dabc-123&x=1", "u": "ws://u:pw@h/?token=def"}';
    const out = redactText(text);
    expect(out).toBe(
      '{"url": "http://h:6080/vnc_lite.html?path=%3Ftoken%3D<redacted>&x=1", "u": "ws://<redacted>@h/?token=<redacted>"}',
    );
    expect(out).not.toMatch(/abc-123|def|pw/);
  });

  it('redactUserinfo hides it in any text, even in URLs that do not parse', () => {
    expect(redactUserinfo('proxy http://u:p%40ss@127.0.0.1:3128 refused; see https://x:y@[bad')).toBe(
      'proxy http://<redacted>@127.0.0.1:3128 refused; see https://<redacted>@[bad',
    );
    expect(redactUserinfo('mail bob@example.com at http://h/')).toBe('mail bob@example.com at http://h/');
  });
});
