// Who is running: recorded in run.json and used as the Client API's default namespace.
import * as os from 'os';

/** $CELLFLOW_USER, else $USER, else the OS account name. */
export function currentUser(): string {
  if (process.env.CELLFLOW_USER) {
    return process.env.CELLFLOW_USER;
  }
  if (process.env.USER) {
    return process.env.USER;
  }
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
