// Metaflow's core tests (Netflix/metaflow test/core/tests/*.py) and two tutorials, written again as
// TypeScript step code: each step keeps its priority and qualifiers, each check asserts what the
// Metaflow test's check_results asserts (or, where a test asserts inside its steps, the steps do).
// Where cellflow stays different on purpose the case says so (see ARCHITECTURE.md "Parity").
import { assertEquals, type Checker } from './checker';
import type { CaseStep } from './formatter';

export interface ParityCase {
  /** Metaflow's test (test/core/tests/NAME.py) or tutorial. */
  name: string;
  graphs: string[];
  steps: CaseStep[];
  parameters?: string;
  prelude?: string;
  runArgs?: string[];
  env?: Record<string, string>;
  /** SHOULD_FAIL: the run fails and the check reads the failed run. */
  shouldFail?: boolean;
  /** RESUME: the first run fails (ResumeFromHere), then `cellflow resume [--from STEP]`. */
  resume?: { from?: string };
  /** Files written beside the notebook. */
  files?: Record<string, string>;
  check?(c: Checker, origin?: Checker): void;
}

const s = (
  prio: number,
  quals: string[],
  code: string | string[],
  extra: Partial<CaseStep> = {},
): CaseStep => ({
  prio,
  quals,
  code: Array.isArray(code) ? code.join('\n') : code,
  ...extra,
});
const pass = (prio: number) => s(prio, ['all'], '');

const ARR = [
  26, 5, 10, 15, 25, 11, 22, 6, 19, 12, 16, 9, 28, 14, 24, 20, 30, 1, 13, 18, 2, 17, 21, 3, 29, 4, 27, 31, 8,
  23, 0, 7,
];

/** Metaflow's check for the resume_foreach_* tests. */
function checkForeachResume(c: Checker): void {
  c.assertArtifact('start', 'data', 'start');
  c.assertArtifact('end', 'data', 'resume');
  const stack = c.artifacts('end', 'stack')[0] as string[][];
  const product = stack.reduce<string[]>((acc, values) => acc.flatMap((p) => values.map((v) => p + v)), ['']);
  c.assertArtifact('end', 'var', product.sort());
}

const FOREACH_STACK_LINES = [
  'self.stack = current.foreachStack.map((f) => [...self[FOREACH_VARS[f.step]]].map(String));',
  "self.var = [current.foreachStack.map((f) => String(f.input)).join('')];",
];
const AFTER_CHECK =
  "if (self.after) assert_equals('resume', self.data); else assert_equals('start', self.data);";
const JOIN_RESUME = [
  'self.var = inputs.flatMap((i) => i.var).sort();',
  'self.data = inputs[0].data;',
  'self.after = inputs[0].after;',
  'self.stack = inputs[0].stack;',
  AFTER_CHECK,
];
const RESUME_HERE = [
  'self.after = true;',
  "if (is_resumed(current)) self.data = 'resume';",
  "else { self.data = 'run'; throw new ResumeFromHere(); }",
];

const CURRENT_ADD = [
  'self.flow_names.add(current.flowName);',
  'self.run_ids.add(current.runId);',
  'self.origin_run_ids.add(current.originRunId);',
  'self.namespaces.add(current.namespace);',
  'self.usernames.add(current.user);',
  'self.step_name = current.stepName;',
  'self.seen_steps.add(current.stepName);',
  'self.uuid = randomUUID();',
  'self.task_data[current.pathspec] = self.uuid;',
  'for (const tag of current.tags) self.tags.add(tag);',
];
const SET_FIELDS = [
  'flow_names',
  'run_ids',
  'origin_run_ids',
  'namespaces',
  'usernames',
  'seen_steps',
  'tags',
];
const TAGS = ['刺身 means sashimi', 'multiple tags should be ok'];
const TAG_ARGS = TAGS.flatMap((t) => ['--tag', t]);

const MOVIES = [
  'movie_title,title_year,genres,gross',
  'Arrival,2016,Drama|Mystery|Sci-Fi,100546139',
  'Alien,1979,Horror|Sci-Fi,78900000',
  'Heat,1995,Action|Crime|Drama,67436818',
  'Moon,2009,Drama|Mystery|Sci-Fi,5009677',
  'Up,2009,Adventure|Animation|Comedy,292979556',
  'Gravity,2013,Drama|Sci-Fi|Thriller,274084951',
  'Amelie,2001,Comedy|Romance,33201661',
  'Contact,1997,Drama|Mystery|Sci-Fi,100853835',
  'Her,2013,Drama|Romance|Sci-Fi,25556065',
  'Fargo,1996,Crime|Drama|Thriller,24567751',
  '',
].join('\n');

export const CASES: ParityCase[] = [
  {
    name: 'basic_artifact',
    graphs: ['branch', 'foreach'],
    steps: [
      s(0, ['start'], "self.data = 'abc';"),
      s(
        1,
        ['join'],
        [
          'const inputset = new Set(inputs.map((inp) => inp.data));',
          "assert_equals(new Set(['abc']), inputset);",
          'self.data = [...inputset][0];',
        ],
      ),
      pass(2),
    ],
    check: (c) => c.steps.forEach((step) => c.assertArtifact(step, 'data', 'abc')),
  },
  {
    name: 'basic_foreach',
    graphs: ['foreach'],
    steps: [
      s(0, ['foreach-split'], ['self.my_index = null;', `self.arr = ${JSON.stringify(ARR)};`], {
        required: true,
      }),
      s(
        0,
        ['foreach-inner'],
        [
          // index must stay constant over multiple steps inside foreach
          'if (self.my_index === null) self.my_index = self.index;',
          'assert_equals(self.my_index, self.index);',
          'assert_equals(self.input, self.arr[self.index]);',
          'self.my_input = self.input;',
        ],
        { required: true },
      ),
      s(
        0,
        ['foreach-join'],
        ['const got = inputs.map((inp) => inp.my_input);', `assert_equals(${JSON.stringify(ARR)}, got);`],
        {
          required: true,
        },
      ),
      pass(1),
    ],
  },
  {
    name: 'basic_log',
    graphs: ['linear'],
    steps: [
      s(
        0,
        ['singleton'],
        [
          "process.stdout.write('stdout: A regular message.\\n');",
          "process.stdout.write('stdout: A message with unicode: \\u5e74\\n');",
          "process.stderr.write('stderr: A regular message.\\n');",
          "process.stderr.write('stderr: A message with unicode: \\u5e74\\n');",
        ],
        { required: true },
      ),
      pass(1),
    ],
    check: (c) => {
      for (const step of c.steps.filter((n) => n !== 'start' && n !== 'end')) {
        expectContains(
          c.log(step, 'stdout'),
          'stdout: A regular message.\nstdout: A message with unicode: \u5e74\n',
        );
        expectContains(
          c.log(step, 'stderr'),
          'stderr: A regular message.\nstderr: A message with unicode: \u5e74\n',
        );
      }
    },
  },
  {
    name: 'basic_parameters',
    graphs: ['linear'],
    // Metaflow sets two through METAFLOW_RUN_* variables; cellflow takes --param. Its list_param is
    // a JSON array (no `separator`): a difference of syntax, the same value.
    parameters: [
      'const no_default_param = null;',
      'const bool_param = false;',
      'const bool_true_param = true;',
      'const int_param = 123;',
      "const str_param = 'foobar';",
      "const list_param = ['a', 'b', 'c'];",
      'const json_param = { a: [1, 2, 3] };',
    ].join('\n'),
    runArgs: ['--param', 'no_default_param=test_str', '--param', 'bool_param=False'],
    steps: [
      s(
        0,
        ['all'],
        [
          "assert_equals('test_str', self.no_default_param);",
          'assert_equals(false, self.bool_param);',
          'assert_equals(true, self.bool_true_param);',
          'assert_equals(123, self.int_param);',
          "assert_equals('foobar', self.str_param);",
          "assert_equals(['a', 'b', 'c'], self.list_param);",
          'assert_equals({ a: [1, 2, 3] }, self.json_param);',
          // parameters should be immutable
          "assert_exception(() => { self.int_param = 5; }, 'ReadOnlyParameterError');",
        ],
      ),
    ],
    check: (c) => {
      for (const step of c.steps) {
        c.assertArtifact(step, 'no_default_param', 'test_str');
        c.assertArtifact(step, 'bool_param', false);
        c.assertArtifact(step, 'bool_true_param', true);
        c.assertArtifact(step, 'int_param', 123);
        c.assertArtifact(step, 'str_param', 'foobar');
        c.assertArtifact(step, 'list_param', ['a', 'b', 'c']);
        c.assertArtifact(step, 'json_param', { a: [1, 2, 3] });
      }
    },
  },
  {
    name: 'basic_tags',
    graphs: ['linear'],
    runArgs: TAG_ARGS,
    env: { CELLFLOW_USER: 'tester' },
    steps: [
      s(
        0,
        ['all'],
        [
          "assert_equals('user:' + process.env.CELLFLOW_USER, current.namespace);",
          'self.seen_tags = current.tags;',
        ],
      ),
    ],
    // Tags belong to the run in cellflow (Metaflow copies them to steps, tasks and artifacts).
    check: (c) => {
      for (const tag of TAGS) {
        assertEquals(true, c.run.tags.includes(tag), `run tag ${tag}`);
      }
      for (const step of c.steps) {
        c.assertArtifact(step, 'seen_tags', TAGS);
      }
    },
  },
  {
    name: 'constants',
    graphs: ['branch'],
    // Class constants become prelude constants: every step reads them, JavaScript refuses to assign
    // a `const` (Metaflow refuses at run time); they are not artifacts.
    prelude:
      "const str_const = 'this is a constant';\nconst int_const = 123;\nconst obj_const: unknown[] = [];",
    parameters: "const int_param = 456;\nconst str_param = 'foobar';",
    steps: [
      s(
        0,
        ['all'],
        [
          "assert_equals('this is a constant', str_const);",
          'assert_equals(123, int_const);',
          'assert_equals([], obj_const);',
          'assert_equals(456, self.int_param);',
          "assert_equals('foobar', self.str_param);",
          "assert_equals(new Set(['int_param', 'str_param']), new Set(current.parameterNames));",
          "assert_exception(() => { self.int_param = 5; }, 'ReadOnlyParameterError');",
        ],
      ),
    ],
    check: (c) => c.steps.forEach((step) => c.assertArtifact(step, 'int_param', 456)),
  },
  {
    name: 'current_singleton',
    graphs: ['foreach'],
    runArgs: TAG_ARGS,
    env: { CELLFLOW_USER: 'tester' },
    steps: [
      s(
        0,
        ['start'],
        [
          "import { randomUUID } from 'node:crypto';",
          'self.flow_names = new Set([current.flowName]);',
          'self.run_ids = new Set([current.runId]);',
          'self.origin_run_ids = new Set([current.originRunId]);',
          'self.seen_steps = new Set([current.stepName]);',
          'self.step_name = current.stepName;',
          'self.namespaces = new Set([current.namespace]);',
          'self.usernames = new Set([current.user]);',
          'self.uuid = randomUUID();',
          'self.task_data = { [current.pathspec]: self.uuid };',
          'self.tags = new Set(current.tags);',
        ],
      ),
      s(
        1,
        ['join'],
        [
          "import { randomUUID } from 'node:crypto';",
          ...SET_FIELDS.map((f) => `self.${f} = new Set(inputs.flatMap((i) => [...i.${f}]));`),
          'self.task_data = Object.assign({}, ...inputs.map((i) => i.task_data));',
          ...CURRENT_ADD,
        ],
      ),
      s(2, ['all'], ["import { randomUUID } from 'node:crypto';", ...CURRENT_ADD]),
    ],
    check: (c) => {
      const end = c.tasksOf('end')[0];
      const taskData = c.value(end, 'task_data') as Record<string, string>;
      for (const [pathspec, uuid] of Object.entries(taskData)) {
        const [, , step, taskId] = pathspec.split('/');
        assertEquals(
          uuid,
          c.value(
            c.tasksOf(step).find((t) => t.taskId === taskId)!,
            'uuid',
          ),
          pathspec,
        );
      }
      for (const task of c.tasks) {
        assertEquals(task.step, c.value(task, 'step_name'), 'step_name');
        assertEquals(
          taskData[`${task.flow}/${task.runId}/${task.step}/${task.taskId}`],
          c.value(task, 'uuid'),
          'uuid',
        );
      }
      assertEquals(new Set([c.run.flow]), c.value(end, 'flow_names'), 'flow_names');
      assertEquals(new Set([c.run.runId]), c.value(end, 'run_ids'), 'run_ids');
      assertEquals(new Set([null]), c.value(end, 'origin_run_ids'), 'origin_run_ids');
      assertEquals(new Set(['user:tester']), c.value(end, 'namespaces'), 'namespaces');
      assertEquals(new Set(['tester']), c.value(end, 'usernames'), 'usernames');
      assertEquals(new Set(TAGS), c.value(end, 'tags'), 'tags');
      assertEquals(new Set(c.steps), c.value(end, 'seen_steps'), 'seen_steps');
    },
  },
  {
    name: 'detect_segfault',
    graphs: ['linear'],
    shouldFail: true,
    steps: [
      s(0, ['singleton-end'], ["console.log('Crash and burn!');", "process.kill(process.pid, 'SIGSEGV');"], {
        required: true,
      }),
      pass(1),
    ],
    check: (c) => {
      expectContains(c.log('end', 'stdout'), 'Crash and burn!');
      expectContains(c.log('end', 'stderr'), 'segmentation fault');
    },
  },
  {
    name: 'merge_artifacts',
    graphs: ['branch', 'foreach'],
    steps: [
      s(
        0,
        ['start'],
        [
          "self.non_modified_passdown = 'a';",
          "self.modified_to_same_value = 'b';",
          "self.manual_merge_required = 'c';",
          "self.ignore_me = 'd';",
        ],
      ),
      s(
        2,
        ['linear'],
        [
          'self.manual_merge_required = current.taskId;',
          'self.ignore_me = current.taskId;',
          "self.modified_to_same_value = 'e';",
          "assert_equals(self.non_modified_passdown, 'a');",
        ],
      ),
      s(
        0,
        ['join'],
        [
          // non-merged values are reported, and nothing is set by a failed merge
          "assert_exception(() => mergeArtifacts(inputs), 'MergeArtifactsError');",
          "assert_equals(false, 'non_modified_passdown' in self);",
          "assert_equals(false, 'manual_merge_required' in self);",
          // only one of exclude/include is used
          "assert_exception(() => mergeArtifacts(inputs, { exclude: ['ignore_me'], include: ['non_modified_passdown'] }), 'MergeArtifactsError');",
          "assert_equals(false, 'non_modified_passdown' in self);",
          "assert_equals(false, 'manual_merge_required' in self);",
          'self.manual_merge_required = current.taskId;',
          "mergeArtifacts(inputs, { exclude: ['ignore_me'] });",
          "assert_equals(self.non_modified_passdown, 'a');",
          "assert_equals(self.modified_to_same_value, 'e');",
          'assert_equals(self.manual_merge_required, current.taskId);',
          "assert_equals(false, 'ignore_me' in self);",
        ],
        { required: true },
      ),
      s(
        0,
        ['end'],
        [
          // not a join: merging throws
          "assert_exception(() => mergeArtifacts([]), 'MergeArtifactsError');",
          "assert_equals(self.non_modified_passdown, 'a');",
          "assert_equals(self.modified_to_same_value, 'e');",
          "assert_equals(true, 'manual_merge_required' in self);",
        ],
      ),
      s(3, ['all'], "assert_equals(self.non_modified_passdown, 'a');"),
    ],
  },
  {
    name: 'merge_artifacts_include',
    graphs: ['branch'],
    steps: [
      s(
        0,
        ['start'],
        [
          "self.non_modified_passdown = 'a';",
          "self.modified_to_same_value = 'b';",
          "self.manual_merge_required = 'c';",
          "self.ignore_me = 'd';",
        ],
      ),
      s(
        2,
        ['linear'],
        [
          'self.manual_merge_required = current.taskId;',
          'self.ignore_me = current.taskId;',
          "self.modified_to_same_value = 'e';",
          "assert_equals(self.non_modified_passdown, 'a');",
        ],
      ),
      s(
        0,
        ['join'],
        [
          'self.manual_merge_required = current.taskId;',
          "assert_exception(() => mergeArtifacts(inputs, { include: ['manual_merge_required', 'foobar'] }), 'MergeArtifactsError');",
          "assert_equals(false, 'non_modified_passdown' in self);",
          "mergeArtifacts(inputs, { include: ['non_modified_passdown'] });",
          "assert_equals(self.non_modified_passdown, 'a');",
          'assert_equals(self.manual_merge_required, current.taskId);',
          "assert_equals(false, 'ignore_me' in self);",
          "assert_equals(false, 'modified_to_same_value' in self);",
        ],
        { required: true },
      ),
      s(
        0,
        ['end'],
        [
          "assert_equals(self.non_modified_passdown, 'a');",
          "assert_equals(true, 'manual_merge_required' in self);",
        ],
      ),
      s(3, ['all'], "assert_equals(self.non_modified_passdown, 'a');"),
    ],
  },
  {
    name: 'merge_artifacts_propagation',
    graphs: ['small_foreach'],
    steps: [
      s(0, ['start'], "self.non_modified_passdown = 'a';"),
      s(0, ['foreach-inner-small'], 'self[`var${self.index}`] = self.index;', { required: true }),
      s(
        0,
        ['foreach-join-small'],
        [
          'mergeArtifacts(inputs);',
          "assert_equals(self.non_modified_passdown, 'a');",
          'inputs.forEach((_, i) => assert_equals(self[`var${i}`], i));',
        ],
        { required: true },
      ),
      s(1, ['all'], "assert_equals(self.non_modified_passdown, 'a');"),
    ],
  },
  {
    name: 'nested_foreach',
    graphs: ['nested_foreach'],
    steps: [
      s(
        0,
        ['foreach-nested-inner'],
        [
          'const [x, y, z] = current.foreachStack;',
          'assert_equals(self.x.length, x.count);',
          'assert_equals(self.y.length, y.count);',
          'assert_equals(self.z.length, z.count);',
          'assert_equals(x.input, self.x[x.index]);',
          'assert_equals(y.input, self.y[y.index]);',
          'assert_equals(z.input, self.z[z.index]);',
          'self.combo = x.input + y.input + z.input;',
        ],
        { required: true },
      ),
      pass(1),
    ],
    check: (c) => {
      const got = (c.artifacts('foreach_inner', 'combo') as string[]).sort();
      const expected = [...'abc']
        .flatMap((a) => [...'de'].flatMap((b) => [...'fghijk'].map((d) => a + b + d)))
        .sort();
      assertEquals(expected, got, 'combo');
    },
  },
  {
    name: 'param_names',
    graphs: ['linear'],
    parameters: 'const foo = 1;',
    steps: [
      s(
        0,
        ['all'],
        [
          'assert_equals(1, current.parameterNames.length);',
          "assert_equals('foo', current.parameterNames[0]);",
        ],
      ),
    ],
  },
  {
    name: 'catch_retry',
    graphs: ['linear'],
    steps: [
      s(
        0,
        ['start'],
        [
          'self.test_attempt = current.attempt;',
          'process.stdout.write(`stdout testing logs ${self.test_attempt}\\n`);',
          'process.stderr.write(`stderr testing logs ${self.test_attempt}\\n`);',
          'if (self.test_attempt < 3) { self.invisible = true; throw new TestRetry(); }',
        ],
        { tags: ['retry:3'] },
      ),
      s(
        0,
        ['end'],
        [
          'class ExternalCommandFailed extends Error {}',
          // make sure we see the latest attempt version of the artifact
          'assert_equals(3, self.test_attempt);',
          'self.here = true;',
          "throw new ExternalCommandFailed('catch me!');",
        ],
        { required: true, tags: ['catch:end_ex'] },
      ),
      // Die a soft death; this should retry and then catch in the end
      s(1, ['all'], ['self.retry_with_catch = current.attempt;', 'throw new TestRetry();'], {
        tags: ['catch:ex', 'retry:2'],
      }),
    ],
    check: (c) => {
      expectContains(c.log('start', 'stdout'), 'stdout testing logs 3\n');
      expectContains(c.log('start', 'stderr'), 'stderr testing logs 3\n');
      c.assertArtifact('start', 'test_attempt', 3);
      assertEquals(
        false,
        c.tasksOf('start').some((t) => c.has(t, 'invisible')),
        "'invisible' in start",
      );
      c.assertArtifact('end', 'test_attempt', 3);
      const endEx = c.artifacts('end', 'end_ex')[0] as { message: string; type: string };
      assertEquals('catch me!', endEx.message, 'end_ex.message');
      assertEquals('ExternalCommandFailed', endEx.type, 'end_ex.type');
      c.assertArtifact('end', 'here', true);
      const ex = c.artifacts('a', 'ex')[0] as { type: string };
      assertEquals('TestRetry', ex.type, 'ex.type');
      c.assertArtifact('a', 'retry_with_catch', 2);
      assertEquals(4, c.tasksOf('start')[0].attempts.length, 'start attempts');
      assertEquals(3, c.tasksOf('a')[0].attempts.length, 'a attempts');
    },
  },
  {
    name: 'tag_catch',
    graphs: ['linear'],
    steps: [
      s(
        0,
        ['start'],
        [
          'self.test_attempt = current.attempt;',
          'process.stdout.write(`stdout testing logs ${self.test_attempt}\\n`);',
          'process.stderr.write(`stderr testing logs ${self.test_attempt}\\n`);',
          'if (self.test_attempt < 3) { self.invisible = true; throw new TestRetry(); }',
        ],
        { tags: ['retry:3'] },
      ),
      s(
        0,
        ['end'],
        [
          'class ExternalCommandFailed extends Error {}',
          'assert_equals(3, self.test_attempt);',
          'self.here = true;',
          "throw new ExternalCommandFailed('catch me!');",
        ],
        { required: true, tags: ['catch:end_ex'] },
      ),
      // die an ugly death
      s(1, ['all'], "process.kill(process.pid, 'SIGKILL');", { tags: ['catch:ex', 'retry:2'] }),
    ],
    check: (c) => {
      expectContains(c.log('start', 'stdout'), 'stdout testing logs 3\n');
      expectContains(c.log('start', 'stderr'), 'stderr testing logs 3\n');
      c.assertArtifact('start', 'test_attempt', 3);
      assertEquals(
        false,
        c.tasksOf('start').some((t) => c.has(t, 'invisible')),
        "'invisible' in start",
      );
      c.assertArtifact('end', 'test_attempt', 3);
      const endEx = c.artifacts('end', 'end_ex')[0] as { message: string; type: string };
      assertEquals('catch me!', endEx.message, 'end_ex.message');
      assertEquals('ExternalCommandFailed', endEx.type, 'end_ex.type');
      // Metaflow's type is FailureHandledByCatch, after a fourth "fallback" attempt; cellflow records
      // the dead process itself after the retries (3 attempts).
      const ex = c.artifacts('a', 'ex')[0] as { type: string };
      assertEquals('TaskProcessDied', ex.type, 'ex.type');
      assertEquals(3, c.tasksOf('a')[0].attempts.length, 'a attempts');
      assertEquals(4, c.tasksOf('start')[0].attempts.length, 'start attempts');
    },
  },
  {
    name: 'task_exception',
    graphs: ['linear'],
    shouldFail: true,
    steps: [
      s(
        0,
        ['singleton-end'],
        ['class KeyError extends Error {}', "throw new KeyError('Something has gone wrong');"],
        { required: true },
      ),
      pass(2),
    ],
    check: (c) => {
      for (const task of c.tasksOf('end')) {
        const error = task.attempts[task.attempts.length - 1].error!;
        assertEquals('KeyError', error.type, 'exception type');
        assertEquals('Something has gone wrong', error.message, 'exception message');
      }
    },
  },
  {
    name: 'timeout_decorator',
    graphs: ['linear'],
    steps: [
      s(
        0,
        ['singleton-start', 'foreach-inner'],
        ['self.check = true;', 'await new Promise((resolve) => setTimeout(resolve, 5000));'],
        {
          required: true,
          tags: ['catch:ex', 'timeout:1'],
        },
      ),
      pass(1),
    ],
    check: (c) => {
      let raised = false;
      for (const task of c.tasks.filter((t) => c.has(t, 'check'))) {
        assertEquals('StepTimeoutError', (c.value(task, 'ex') as { type: string }).type, 'ex.type');
        raised = true;
      }
      assertEquals(true, raised, 'timeout raised');
    },
  },
  {
    name: 'resume_end_step',
    graphs: ['linear'],
    resume: {},
    parameters: 'const int_param = 123;',
    steps: [
      s(0, ['start'], "self.data = 'start';"),
      s(
        0,
        ['singleton-end'],
        [
          "if (is_resumed(current)) self.data = 'foo';",
          "else { self.data = 'bar'; throw new ResumeFromHere(); }",
        ],
        {
          required: true,
        },
      ),
      pass(2),
    ],
    check: (c, origin) => {
      for (const step of c.steps) {
        c.assertArtifact(step, 'data', step === 'end' ? 'foo' : 'start');
      }
      // Every task but the end's is a clone of the origin run's (Metaflow's origin-task-id).
      for (const task of c.tasks) {
        if (task.step === 'end') {
          assertEquals(undefined, task.reusedFrom, 'end is not a clone');
        } else {
          assertEquals(true, task.reusedFrom?.startsWith(origin!.pathspec + '/'), `${task.step} cloned`);
        }
      }
      assertEquals(origin!.pathspec, c.run.origin?.pathspec, 'origin run');
    },
  },
  {
    name: 'resume_foreach_inner',
    graphs: ['foreach'],
    resume: {},
    steps: [
      s(0, ['start'], ["self.data = 'start';", 'self.after = false;']),
      s(0, ['foreach-nested-split', 'foreach-split'], AFTER_CHECK, { required: true }),
      s(0, ['foreach-inner'], [...RESUME_HERE, ...FOREACH_STACK_LINES], { required: true }),
      s(0, ['join'], JOIN_RESUME, { required: true }),
      s(2, ['all'], AFTER_CHECK),
    ],
    check: checkForeachResume,
  },
  {
    name: 'resume_foreach_join',
    graphs: ['foreach'],
    resume: {},
    steps: [
      s(0, ['start'], ["self.data = 'start';", 'self.after = false;']),
      s(0, ['foreach-nested-split', 'foreach-split'], AFTER_CHECK, { required: true }),
      s(0, ['foreach-inner'], FOREACH_STACK_LINES, { required: true }),
      s(
        0,
        ['join'],
        [...RESUME_HERE, 'self.var = inputs.flatMap((i) => i.var).sort();', 'self.stack = inputs[0].stack;'],
        { required: true },
      ),
      s(2, ['all'], AFTER_CHECK),
    ],
    check: checkForeachResume,
  },
  {
    name: 'resume_foreach_split',
    graphs: ['foreach'],
    resume: {},
    steps: [
      s(0, ['start'], ["self.data = 'start';", 'self.after = false;']),
      s(0, ['foreach-nested-split', 'foreach-split'], RESUME_HERE, { required: true }),
      s(0, ['foreach-inner'], [...FOREACH_STACK_LINES, AFTER_CHECK], { required: true }),
      s(0, ['join'], JOIN_RESUME, { required: true }),
      s(2, ['all'], AFTER_CHECK),
    ],
    check: checkForeachResume,
  },
  {
    name: 'resume_start_step',
    graphs: ['linear'],
    resume: {},
    parameters: 'const int_param = 123;',
    steps: [
      s(
        0,
        ['singleton-start'],
        [
          'if (is_resumed(current)) {',
          "  self.data = 'foo';",
          '  self.actual_origin_run_id = current.originRunId;',
          '  self.expected_origin_run_id = current.originRunId;',
          '  assert_equals(true, self.expected_origin_run_id.length > 0);',
          "} else { self.data = 'bar'; throw new ResumeFromHere(); }",
        ],
        { required: true },
      ),
      pass(2),
    ],
    check: (c, origin) => {
      for (const step of c.steps) {
        c.assertArtifact(step, 'data', 'foo');
        c.assertArtifact(step, 'int_param', 123);
      }
      const end = c.tasksOf('end')[0];
      assertEquals(
        c.value(end, 'expected_origin_run_id'),
        c.value(end, 'actual_origin_run_id'),
        'origin run id',
      );
      assertEquals(
        origin!.run.runId,
        c.value(end, 'actual_origin_run_id'),
        'origin run id is the resumed run',
      );
      assertEquals(undefined, c.tasksOf('start')[0].reusedFrom, 'start is not a clone');
      assertEquals(origin!.pathspec, c.run.origin?.pathspec, 'origin run');
    },
  },
  {
    name: 'resume_succeeded_step',
    graphs: ['linear'],
    resume: { from: 'a' },
    parameters: 'const int_param = 123;',
    steps: [
      s(0, ['start'], "self.data = is_resumed(current) ? 'start_r' : 'start';"),
      s(
        0,
        ['singleton-end'],
        [
          "if (is_resumed(current)) self.data = 'end_r';",
          "else { self.data = 'end'; throw new ResumeFromHere(); }",
        ],
        {
          required: true,
        },
      ),
      s(2, ['all'], "self.data = is_resumed(current) ? 'test_r' : 'test';"),
    ],
    check: (c) => {
      c.assertArtifact('start', 'data', 'start');
      c.assertArtifact('a', 'data', 'test_r');
      c.assertArtifact('end', 'data', 'end_r');
    },
  },
  {
    name: 'resume_originpath',
    graphs: ['linear'],
    resume: {},
    parameters: 'const int_param = 123;',
    steps: [
      s(0, ['start'], ['self.origin_pathspec = current.pathspec;', "self.data = 'start';"]),
      s(0, ['singleton-end'], 'if (!is_resumed(current)) throw new ResumeFromHere();', { required: true }),
      pass(2),
    ],
    check: (c) => {
      const start = c.tasksOf('start')[0];
      const originPathspec = c.value(start, 'origin_pathspec') as string;
      assertEquals(originPathspec, start.reusedFrom, 'task origin pathspec');
      assertEquals(
        originPathspec.split('/').slice(0, -2).join('/'),
        c.run.origin?.pathspec,
        'run origin pathspec',
      );
    },
  },
  {
    name: 'run_id_file',
    graphs: ['linear'],
    resume: {},
    steps: [
      s(
        0,
        ['singleton-start'],
        [
          "import * as fs from 'node:fs';",
          // run or resume: --run-id-file is written before the first task runs
          "assert_equals(true, fs.existsSync(process.env.RUN_ID_FILE ?? ''));",
          "const fromFile = fs.readFileSync(process.env.RUN_ID_FILE ?? '', 'utf8').trim();",
          'assert_equals(`${current.flowName}/${current.runId}`, fromFile);',
          'if (!is_resumed(current)) throw new ResumeFromHere();',
        ],
        { required: true },
      ),
      pass(2),
    ],
  },
  {
    name: 'runtime_dag',
    graphs: ['foreach'],
    steps: [
      s(
        0,
        ['start'],
        [
          'self.step_name = current.stepName;',
          'self.task_pathspec = current.pathspec;',
          'self.parent_pathspecs = new Set();',
        ],
      ),
      s(
        1,
        ['join'],
        [
          'self.step_name = current.stepName;',
          'self.parent_pathspecs = new Set(inputs.map((inp) => inp.task_pathspec));',
          'self.task_pathspec = current.pathspec;',
        ],
      ),
      s(
        2,
        ['all'],
        [
          'self.step_name = current.stepName;',
          'self.parent_pathspecs = new Set([self.task_pathspec]);',
          'self.task_pathspec = current.pathspec;',
        ],
      ),
    ],
    check: (c) => {
      const pathspec = (t: { flow: string; runId: string; step: string; taskId: string }) =>
        `${t.flow}/${t.runId}/${t.step}/${t.taskId}`;
      for (const task of c.tasks) {
        const expectedParents = c.value(task, 'parent_pathspecs') as Set<string>;
        assertEquals(expectedParents, new Set(task.parents), `parents of ${pathspec(task)}`);
        const children = c.tasks.filter((t) => t.parents.includes(pathspec(task))).map(pathspec);
        const expectedChildren = c.tasks
          .filter((t) => (c.value(t, 'parent_pathspecs') as Set<string>).has(pathspec(task)))
          .map(pathspec);
        assertEquals(new Set(expectedChildren), new Set(children), `children of ${pathspec(task)}`);
      }
    },
  },
  {
    name: 'lineage',
    graphs: ['nested_branches'],
    steps: [
      s(0, ['start'], 'self.lineage = [current.stepName];'),
      // only unique lineages (a foreach has as many inputs as elements)
      s(
        1,
        ['join'],
        [
          'const unique = [...new Set(inputs.map((x) => JSON.stringify(x.lineage)))].sort().map((l) => JSON.parse(l));',
          'self.lineage = [unique, current.stepName];',
        ],
      ),
      s(2, ['all'], 'self.lineage = [...self.lineage, current.stepName];'),
    ],
    check: (c) => {
      const joinSets = new Map<string, Set<string>>();
      const lineages = new Map<string, unknown[]>();
      const parents = (step: string) => c.run.graph.nodes[step].parents.length;
      const traverse = (step: string, lineage: unknown[]): void => {
        if (c.types[step] === 'join') {
          const set = joinSets.get(step) ?? new Set<string>();
          set.add(JSON.stringify(lineage));
          joinSets.set(step, set);
          if (set.size < parents(step)) {
            return;
          }
          lineage = [[...set].sort().map((l) => JSON.parse(l))];
        }
        lineages.set(step, [...lineage, step]);
        for (const next of c.run.graph.nodes[step].next) {
          traverse(next, [...lineage, step]);
        }
      };
      traverse('start', []);
      for (const step of c.steps) {
        c.assertArtifact(step, 'lineage', lineages.get(step));
      }
    },
  },
  {
    name: 'tutorial 00-helloworld',
    graphs: ['linear'],
    steps: [
      s(0, ['start'], "console.log('HelloFlow is starting.');"),
      s(0, ['end'], "console.log('HelloFlow is all done.');"),
      s(1, ['all'], "console.log('Metaflow says: Hi!');"),
    ],
    check: (c) => {
      expectContains(c.log('start', 'stdout'), 'HelloFlow is starting.');
      expectContains(c.log('a', 'stdout'), 'Metaflow says: Hi!');
      expectContains(c.log('end', 'stdout'), 'HelloFlow is all done.');
    },
  },
  {
    name: 'tutorial 01-playlist',
    graphs: ['branch'],
    files: { 'movies.csv': MOVIES },
    parameters:
      "const genre = 'Sci-Fi'; // Filter movies for a particular genre.\nconst recommendations = 5; // The number of movies to recommend in the playlist.",
    steps: [
      s(
        0,
        ['start'],
        [
          "import * as fs from 'node:fs';",
          // The notebook's IncludeFile: the CSV beside the notebook, read by the start step.
          "const [header, ...rows] = fs.readFileSync('movies.csv', 'utf8').trim().split('\\n').map((l) => l.split(','));",
          'const col = (name: string) => rows.map((r) => r[header.indexOf(name)]);',
          "self.dataframe = { movie_title: col('movie_title'), genres: col('genres') };",
        ],
      ),
      s(
        0,
        ['single-branch-split'],
        [
          'const titles: string[] = self.dataframe.movie_title;',
          'const genres: string[] = self.dataframe.genres;',
          'if (current.stepName === "a") {',
          '  // bonus_movie: a random movie from a different genre',
          '  const movies = titles.map((t, i) => [t, genres[i]]).filter(([, g]) => !g.toLowerCase().includes(self.genre.toLowerCase()));',
          '  self.bonus = movies[Math.floor(current.random() * movies.length)];',
          '} else {',
          '  // genre_movies: the titles in the genre, shuffled',
          '  const movies = titles.filter((_, i) => genres[i].toLowerCase().includes(self.genre.toLowerCase()));',
          '  for (let i = movies.length - 1; i > 0; i--) { const j = Math.floor(current.random() * (i + 1)); [movies[i], movies[j]] = [movies[j], movies[i]]; }',
          '  self.movies = movies;',
          '}',
        ],
      ),
      s(
        0,
        ['join'],
        [
          'self.playlist = inputs.b.movies;',
          'self.bonus = inputs.a.bonus;',
          'self.playlist.slice(0, self.recommendations).forEach((m: string, i: number) => console.log(`Pick ${i}: ${m}`));',
          'console.log(`Bonus Pick: ${self.bonus[0]} from ${self.bonus[1]}`);',
        ],
      ),
      pass(1),
    ],
    check: (c) => {
      const sciFi = ['Arrival', 'Alien', 'Moon', 'Gravity', 'Contact', 'Her'];
      const playlist = c.artifacts('join', 'playlist')[0] as string[];
      assertEquals([...sciFi].sort(), [...playlist].sort(), 'playlist');
      const bonus = c.artifacts('join', 'bonus')[0] as string[];
      assertEquals(false, bonus[1].includes('Sci-Fi'), 'bonus genre');
      expectContains(c.log('join', 'stdout'), 'Pick 4: ');
      assertEquals(false, c.log('join', 'stdout').includes('Pick 5: '), 'recommendations');
    },
  },
];

function expectContains(text: string, part: string): void {
  if (!text.includes(part)) {
    throw new Error(`expected the log to contain ${JSON.stringify(part)}, got ${JSON.stringify(text)}`);
  }
}
