/**
 * Known-format secrets for tests. Card and IBAN numbers are the issuers' published test numbers;
 * tokens are random strings in each vendor's format, not live credentials.
 */
export const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
export const GITHUB = `ghp_${'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4'}`;
export const GITHUB_PAT = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789';
export const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
export const STRIPE = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
export const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
export const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const PRIVATE_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBq1dWc8l0mFk6Qm0rR0k5nWJ4Y0YwZ4c6p2QeXjv1XfQAAAJg3Q9xVN0Pc',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');
export const RANDOM_SECRET = 'kJ8fQ2mZp9LxR4vT7wYb3NcH6sD1gA0e';

/** Fragments to plant in text and the part of each that must never survive masking. */
export const PLANTED: ReadonlyArray<{ fragment: string; secret: string }> = [
  { fragment: '4111 1111 1111 1111', secret: '4111 1111 1111 1111' },
  { fragment: '5500000000000004', secret: '5500000000000004' },
  { fragment: 'DE89 3704 0044 0532 0130 00', secret: '3704 0044 0532' },
  { fragment: 'jane.roe@example.org', secret: 'jane.roe@example.org' },
  { fragment: '+14155552671', secret: '4155552671' },
  { fragment: '(415) 555-2671', secret: '555-2671' },
  { fragment: '123-45-6789', secret: '123-45-6789' },
  { fragment: AWS_KEY, secret: AWS_KEY },
  { fragment: `aws_secret_access_key=${AWS_SECRET}`, secret: AWS_SECRET },
  { fragment: GITHUB, secret: GITHUB },
  { fragment: GITHUB_PAT, secret: GITHUB_PAT },
  { fragment: SLACK, secret: SLACK },
  { fragment: STRIPE, secret: STRIPE },
  { fragment: JWT, secret: JWT.split('.')[1]! },
  { fragment: PRIVATE_KEY, secret: 'QyNTUxOQAAACBq1dWc8l0mFk6Qm0rR0k5nWJ4Y0YwZ4c6p2QeXjv1XfQAAAJg3Q9xVN0Pc' },
  { fragment: 'postgres://app:Tr0ub4dor&3x@db:5432/app', secret: 'Tr0ub4dor&3x' },
  { fragment: `token=${RANDOM_SECRET}`, secret: RANDOM_SECRET },
  { fragment: 'password: "correct horse battery"', secret: 'correct horse battery' },
  { fragment: 'Zq8Lw2Rt5Yx9Vb3Nm7Kc1Jh4Gf6Ds0Pa', secret: 'Zq8Lw2Rt5Yx9Vb3Nm7Kc1Jh4Gf6Ds0Pa' },
];
