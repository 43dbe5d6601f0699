// Errors thrown on a worker thread come back as instances of their cellflow class, so the CLI still
// tells bad input (exit 2) from a failed run. Sent through a real MessagePort, as the threads do.
import { MessageChannel } from 'worker_threads';
import { UserInputError } from '../../src/runtime/errors';
import { IntegrityError } from '../../src/runtime/datastore/objects';
import { PreconditionFailedError, StorageConfigError } from '../../src/runtime/datastore/backend';
import { NotFoundError } from '../../src/runtime/datastore/pathspec';
import { reviveError, serializeError, type SerializedError } from '../../src/runtime/datastore/thread-errors';

function throughPort(error: unknown): Promise<Error> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port2.once('message', (message: SerializedError) => {
      port1.close();
      resolve(reviveError(message));
    });
    port1.postMessage(serializeError(error));
  });
}

test('a cellflow error keeps its class, its message, its fields and its stack', async () => {
  const original = new StorageConfigError(
    'credentials',
    'the access key is not known (s3://b at http://127.0.0.1:1)',
  );
  const revived = await throughPort(original);
  expect(revived).toBeInstanceOf(StorageConfigError);
  expect(revived).toBeInstanceOf(UserInputError);
  expect(revived).toMatchObject({
    name: 'StorageConfigError',
    message: original.message,
    problem: 'credentials',
  });
  expect(revived.stack).toBe(original.stack);

  const lost = await throughPort(new PreconditionFailedError('flows/F/1/run.json', 'the object changed'));
  expect(lost).toBeInstanceOf(PreconditionFailedError);
  expect((lost as PreconditionFailedError).key).toBe('flows/F/1/run.json');

  expect(await throughPort(new NotFoundError('no run F/2'))).toBeInstanceOf(NotFoundError);
  expect(await throughPort(new IntegrityError('object ab… does not match'))).toBeInstanceOf(IntegrityError);
});

test('any other error stays an Error with its name and code; a thrown non-error becomes its message', async () => {
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  const revived = await throughPort(enoent);
  expect(revived).toBeInstanceOf(Error);
  expect(revived).not.toBeInstanceOf(UserInputError);
  expect(revived).toMatchObject({ name: 'Error', message: 'ENOENT: no such file', code: 'ENOENT' });
  const sdk = Object.assign(new Error('Access Denied'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });
  expect(serializeError(sdk)).toMatchObject({ name: 'AccessDenied', status: 403 });
  expect((await throughPort('plain text')).message).toBe('plain text');
});
