// `s3://BUCKET/PREFIX` and how to reach it. Endpoint, region and credentials come from the AWS SDK's
// own chain (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE and ~/.aws/*, ...);
// cellflow only decides path-style addressing, which S3-compatible servers on an IP or localhost need.
import { isIP } from 'net';
import { UserInputError } from '../errors';

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/', under which the datastore's layout lives. */
  prefix: string;
}

export interface S3Settings {
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  maxAttempts: number;
}

// S3's bucket naming rules (lowercase letters, digits, dots, hyphens; 3-63 characters).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Location(url: string): S3Location {
  const match = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(url);
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET.test(bucket)) {
    throw new UserInputError(
      `invalid datastore ${JSON.stringify(url)}: expected s3://BUCKET/PREFIX with a valid bucket name`,
    );
  }
  const parts = match[2].split('/').filter((part) => part !== '');
  if (parts.some((part) => part === '.' || part === '..')) {
    throw new UserInputError(`invalid datastore ${JSON.stringify(url)}: the prefix may not contain . or ..`);
  }
  return { bucket, prefix: parts.length ? `${parts.join('/')}/` : '' };
}

/** The canonical form of a location: `s3://bucket/prefix` without a trailing slash. */
export function formatS3Location(location: S3Location): string {
  return `s3://${location.bucket}${location.prefix ? `/${location.prefix.slice(0, -1)}` : ''}`;
}

export function s3Settings(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  const configured = env.CELLFLOW_S3_FORCE_PATH_STYLE;
  const forcePathStyle =
    configured === '1' || configured === 'true'
      ? true
      : configured === '0' || configured === 'false'
        ? false
        : endpoint !== undefined && needsPathStyle(endpoint);
  const attempts = Number(env.CELLFLOW_S3_MAX_ATTEMPTS);
  return {
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    forcePathStyle,
    maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 5,
  };
}

/** Virtual-hosted addressing puts the bucket in the host name, which an IP or localhost cannot take. */
export function needsPathStyle(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost');
}
