// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are command output, where ${…} is shell syntax.
import { describe, expect, it } from 'vitest';
import { maskText } from '../src/index.ts';
import {
  AWS_KEY,
  AWS_SECRET,
  GITHUB,
  GITHUB_PAT,
  JWT,
  PRIVATE_KEY,
  RANDOM_SECRET,
  SLACK,
  STRIPE,
} from './fixtures.ts';

/** The text after masking, and asserts nothing of `type` was counted when `type` is omitted. */
const masked = (text: string) => maskText(text).text;
const untouched = (text: string) => expect(maskText(text)).toEqual({ text, counts: {}, masked: 0 });

describe('CARD', () => {
  it.each([
    ['Visa', '4111111111111111'],
    ['Visa grouped', '4111 1111 1111 1111'],
    ['Mastercard dashed', '5500-0000-0000-0004'],
    ['Mastercard 2-series', '2223003122003222'],
    ['Amex 4-6-5', '3782 822463 10005'],
    ['Discover', '6011111111111117'],
    ['JCB', '3530111333300000'],
    ['Diners', '30569309025904'],
  ])('masks %s', (_, card) => {
    expect(maskText(`paid with ${card}.`)).toEqual({
      text: 'paid with [MASKED:CARD].',
      counts: { CARD: 1 },
      masked: 1,
    });
  });

  it.each([
    ['a Luhn-invalid 16-digit number', '4111111111111112'],
    ['a Luhn-valid number without a card prefix', '1234567812345670'],
    ['a millisecond timestamp', '1700000000000'],
    ['a card-shaped run inside a longer digit run', '94111111111111111'],
    ['digits after a decimal point', '0.4111111111111111'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['an order id', 'order #100234556789'],
  ])('leaves %s', (_, text) => untouched(text));
});

describe('IBAN', () => {
  it.each([
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    'FR1420041010050500013M02606',
    'NL91ABNA0417164300',
  ])('masks %s', (iban) => {
    expect(masked(`to ${iban} today`)).toBe('to [MASKED:IBAN] today');
  });

  it.each([
    ['a wrong check digit', 'DE89370400440532013001'],
    ['a wrong length for the country', 'DE8937040044053201300'],
    ['an unknown country', 'ZZ89370400440532013000'],
    ['part of a longer token', 'XDE89370400440532013000'],
    ['irregular spacing', 'DE89 37040044 0532 0130 00'],
  ])('leaves %s', (_, text) => untouched(text));

  it('stops at the country length when an upper-case word follows', () => {
    expect(masked('DE89 3704 0044 0532 0130 00 EUR')).toBe('[MASKED:IBAN] EUR');
  });
});

describe('EMAIL', () => {
  it.each(['jane.roe@example.org', 'a+tag@mail.example.co.uk', 'x_y-z@sub-domain.io'])(
    'masks %s',
    (email) => {
      expect(masked(`from <${email}>:`)).toBe('from <[MASKED:EMAIL]>:');
    },
  );

  it('masks mailto: and addresses inside URL paths', () => {
    expect(masked('mailto:jane@example.org https://x.io/u/jane@example.org')).toBe(
      'mailto:[MASKED:EMAIL] https://x.io/u/[MASKED:EMAIL]',
    );
  });

  it.each([
    ['a host without a dot', 'user@localhost'],
    ['a scoped package', 'npm i @scope/pkg@1.2.3'],
    ['a package version', 'react@18.2.0'],
    ['a git SSH remote', 'git@github.com:org/repo.git'],
    ['URL user info', 'https://deploy@example.com/repo'],
    ['a retina image name', 'icon@2x.png'],
    ['a docker digest', 'nginx@sha256:abc'],
    ['a decorator', '@Component({})'],
  ])('leaves %s', (_, text) => untouched(text));
});

describe('PHONE', () => {
  it.each([
    '+14155552671',
    '+44 20 7946 0958',
    '+1 (415) 555-2671',
    '(555) 123-4567',
    '555-123-4567',
    '1-555-123-4567',
  ])('masks %s', (phone) => {
    expect(masked(`call ${phone} now`)).toBe('call [MASKED:PHONE] now');
  });

  it.each([
    ['a date', '2024-01-15'],
    ['a date-time', '2024-01-15 10:32:11'],
    ['an IP address', '192.168.100.200'],
    ['a version', 'v10.200.3000'],
    ['a port', 'localhost:5432'],
    ['a bare ten-digit id', '4155552671'],
    ['a timezone offset', '+0100'],
    ['an id with a phone-shaped tail', 'order-555-123-4567'],
    ['a short international-looking number', '+1234567'],
  ])('leaves %s', (_, text) => untouched(text));
});

describe('SSN', () => {
  it('masks dashed SSNs and labelled bare ones', () => {
    expect(masked('ssn 123-45-6789')).toBe('ssn [MASKED:SSN]');
    expect(masked('SSN: 123456789')).toBe('SSN: [MASKED:SSN]');
    expect(masked('"social_security_number": "123 45 6789"')).toBe(
      '"social_security_number": "[MASKED:SSN]"',
    );
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 9xx', '912-12-3456'],
    ['group 00', '123-00-4567'],
    ['serial 0000', '123-45-0000'],
    ['bare nine digits without a label', 'id 123456789'],
    ['a longer dashed id', '2024-123-45-6789'],
  ])('leaves %s', (_, text) => untouched(text));
});

describe('AWS', () => {
  it('masks access key ids of every prefix', () => {
    for (const prefix of ['AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA'])
      expect(masked(`id ${prefix}IOSFODNN7EXAMPLE`)).toBe('id [MASKED:AWS_ACCESS_KEY]');
  });

  it('masks a labelled secret key in env, ini and JSON form', () => {
    expect(masked(`aws_secret_access_key = ${AWS_SECRET}`)).toBe(
      'aws_secret_access_key = [MASKED:AWS_SECRET_KEY]',
    );
    expect(masked(`AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`)).toBe(
      'AWS_SECRET_ACCESS_KEY=[MASKED:AWS_SECRET_KEY]',
    );
    expect(masked(`"SecretAccessKey": "${AWS_SECRET}"`)).toBe('"SecretAccessKey": "[MASKED:AWS_SECRET_KEY]"');
  });

  it('masks a bare secret key that follows an access key id', () => {
    expect(maskText(`${AWS_KEY}\t${AWS_SECRET}`)).toEqual({
      text: '[MASKED:AWS_ACCESS_KEY]\t[MASKED:AWS_SECRET_KEY]',
      counts: { AWS_ACCESS_KEY: 1, AWS_SECRET_KEY: 1 },
      masked: 2,
    });
  });

  it.each([
    ['a bare 40-character token with no access key', `value ${AWS_SECRET.replace(/\//g, 'x')}x`.slice(0, 47)],
    ['a git SHA after an access key-like word', 'AKIA commit 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['an access key prefix inside a longer word', 'XAKIAIOSFODNN7EXAMPLE'],
    ['too short', 'AKIAIOSFODNN7EXAMPL'],
  ])('leaves %s', (_, text) => {
    expect(maskText(text).counts.AWS_ACCESS_KEY).toBeUndefined();
    expect(maskText(text).counts.AWS_SECRET_KEY).toBeUndefined();
  });

  it('does not take a git SHA for the secret key even after an access key', () => {
    expect(masked(`${AWS_KEY} 3f786850e387550fdab836ed7e6dc881de23001b`)).toBe(
      '[MASKED:AWS_ACCESS_KEY] 3f786850e387550fdab836ed7e6dc881de23001b',
    );
  });
});

describe('vendor tokens', () => {
  it.each([
    [GITHUB, 'GITHUB_TOKEN'],
    [GITHUB_PAT, 'GITHUB_TOKEN'],
    [`gho_${'x'.repeat(36)}`, 'GITHUB_TOKEN'],
    [SLACK, 'SLACK_TOKEN'],
    ['xapp-1-A0123456789-1234567890123-abcdef0123456789', 'SLACK_TOKEN'],
    [STRIPE, 'STRIPE_KEY'],
    ['rk_live_51H8abcdEFGHijklMNOP', 'STRIPE_KEY'],
    ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'STRIPE_KEY'],
  ])('masks %s', (token, type) => {
    expect(maskText(`export X=${token}`).text).toBe(`export X=[MASKED:${type}]`);
  });

  it('masks the secret path of a Slack webhook and keeps the host', () => {
    expect(masked('https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX')).toBe(
      'https://hooks.slack.com/services/[MASKED:SLACK_TOKEN]',
    );
  });

  it.each([
    ['a short ghp_ string', 'ghp_short'],
    ['a Stripe publishable key', 'pk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['a word containing the prefix', 'laughp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['xox without a type letter', 'xoxz-1234567890-abcdef'],
  ])('leaves %s', (_, text) => {
    const r = maskText(text);
    expect(r.counts.GITHUB_TOKEN ?? r.counts.SLACK_TOKEN ?? r.counts.STRIPE_KEY).toBeUndefined();
  });
});

describe('JWT', () => {
  it('masks a JWT once, not also as SECRET', () => {
    expect(maskText(`Authorization: Bearer ${JWT}`)).toEqual({
      text: 'Authorization: Bearer [MASKED:JWT]',
      counts: { JWT: 1 },
      masked: 1,
    });
  });

  it('masks an unsigned JWT', () => {
    const unsigned = `${JWT.split('.').slice(0, 2).join('.')}.`;
    expect(masked(`t ${unsigned} end`)).toBe('t [MASKED:JWT] end');
  });

  it.each([
    ['a header that is not a JOSE header', 'eyJmb28iOjF9.eyJmb28iOjF9.c2ln'],
    ['two segments only', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0'],
    ['a lone eyJ', 'eyJ is the base64 of {"'],
  ])('leaves %s', (_, text) => expect(maskText(text).counts.JWT).toBeUndefined());
});

describe('PRIVATE_KEY', () => {
  it('masks the whole block once', () => {
    expect(maskText(`key:\n${PRIVATE_KEY}\ndone`)).toEqual({
      text: 'key:\n[MASKED:PRIVATE_KEY]\ndone',
      counts: { PRIVATE_KEY: 1 },
      masked: 1,
    });
  });

  it('masks PEM blocks with escaped newlines inside JSON', () => {
    const json = JSON.stringify({
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n',
    });
    expect(masked(json)).toBe('{"private_key":"[MASKED:PRIVATE_KEY]"}');
  });

  it('masks an unterminated block to the end of the text', () => {
    expect(masked('a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA')).toBe('a\n[MASKED:PRIVATE_KEY]');
  });

  it('leaves public keys and certificates', () => {
    untouched('-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----');
    untouched('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----');
  });
});

describe('URL_PASSWORD', () => {
  it('masks only the password', () => {
    expect(masked('postgres://app:s3cret@db:5432/x')).toBe('postgres://app:[MASKED:URL_PASSWORD]@db:5432/x');
    expect(masked('redis://:hunter2@cache:6379/0')).toBe('redis://:[MASKED:URL_PASSWORD]@cache:6379/0');
    expect(masked('https://u:p@ss@host/x')).toBe('https://u:[MASKED:URL_PASSWORD]@host/x');
  });

  it.each([
    ['a port without credentials', 'http://host:8080/path@x'],
    ['a user without a password', 'https://deploy@example.com'],
    ['a template variable', 'postgres://app:${DB_PASSWORD}@db/x'],
    ['an already-redacted password', 'postgres://app:****@db/x'],
    ['IPv6', 'http://[::1]:8080/'],
  ])('leaves %s', (_, text) => expect(maskText(text).counts.URL_PASSWORD).toBeUndefined());
});

describe('SECRET', () => {
  it('masks values of secret-named keys', () => {
    expect(masked(`token: ${RANDOM_SECRET}`)).toBe('token: [MASKED:SECRET]');
    expect(masked('DB_PASSWORD=changeme1')).toBe('DB_PASSWORD=[MASKED:SECRET]');
    expect(masked('{"client_secret": "abc def ghi jkl"}')).toBe('{"client_secret": "[MASKED:SECRET]"}');
    expect(masked('mysql --password hunter2hunter2 -h db')).toBe('mysql --password [MASKED:SECRET] -h db');
    expect(masked('Authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe('Authorization: Basic [MASKED:SECRET]');
    expect(masked('curl "https://x.io/cb?access_token=aZ3kQ9pL2mN8&x=1"')).toBe(
      'curl "https://x.io/cb?access_token=[MASKED:SECRET]&x=1"',
    );
  });

  it('masks an unlabelled high-entropy token', () => {
    expect(masked(`using ${RANDOM_SECRET} for now`)).toBe('using [MASKED:SECRET] for now');
  });

  it.each([
    ['a git SHA', 'commit 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['a sha256 digest', 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['a UUID', 'request 550e8400-e29b-41d4-a716-446655440000'],
    [
      'a lockfile integrity hash',
      '"integrity": "sha512-kJ8fQ2mZp9LxR4vT7wYb3NcH6sD1gA0ekJ8fQ2mZp9LxR4vT7wYb3NcH6sD1gA0e=="',
    ],
    ['a long identifier', 'class HttpClientModule2Configuration extends AbstractSingletonProxyFactoryBean'],
    ['a path', 'at /Users/John/Projects/app2/src/components/UserProfile2Card/index.tsx:12'],
    ['a k8s pod name', 'pod/web-7d9f8b6c5-x2x4k'],
    ['a short labelled value', 'token: abc123'],
    ['a placeholder', 'password: ********'],
    ['a template', 'password: ${DB_PASSWORD}'],
    ['a token count', '"prompt_tokens": 123456789'],
    ['a secret-file location', 'password_file=/run/secrets/db_password'],
    ['a token endpoint', 'token_url: https://auth.example.com/oauth/token'],
    ['a longer word containing a keyword', 'tokenizer: bert-base-uncased-whole-word'],
    ['prose about passwords', 'FATAL: password authentication failed for user "app"'],
  ])('leaves %s', (_, text) => untouched(text));
});

describe('overlaps', () => {
  it('masks a token assigned to a secret key once, under its specific type', () => {
    expect(maskText(`GITHUB_TOKEN=${GITHUB}`)).toEqual({
      text: 'GITHUB_TOKEN=[MASKED:GITHUB_TOKEN]',
      counts: { GITHUB_TOKEN: 1 },
      masked: 1,
    });
  });

  it('counts every masked value', () => {
    const r = maskText('a@example.com b@example.com 4111111111111111');
    expect(r.counts).toEqual({ EMAIL: 2, CARD: 1 });
    expect(r.masked).toBe(3);
  });

  it('keeps text without findings identical', () => {
    const text = 'total 12\ndrwxr-xr-x  3 app app 4096 Jan 15 10:32 src\n';
    expect(maskText(text).text).toBe(text);
  });
});
