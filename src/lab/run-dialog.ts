// The "Run as Flow…" and "Resume…" dialogs: the forms of run-form.ts as fields, each checked as the
// user types, the accept button disabled while any is refused.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import type { Parameter } from '../core/model';
import { el } from './dom';
import {
  checkResumeForm,
  checkRunForm,
  isRunFormValid,
  type ParameterField,
  parameterFields,
  type ResumeFormValues,
  type RunFormProblems,
  type RunFormValues,
} from './run-form';

type Input = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** Shared by both forms: a labelled field with its message line, and the accept button's state. */
abstract class CheckedForm<T> extends Widget {
  protected readonly inputs = new Map<string, Input>();
  private readonly messages = new Map<string, HTMLElement>();

  constructor(className: string) {
    super();
    this.addClass('cf-run-form');
    this.addClass(className);
    this.node.addEventListener('input', () => this.check());
    this.node.addEventListener('change', () => this.check());
  }

  abstract getValue(): T;
  abstract problems(value: T): RunFormProblems;

  check(): boolean {
    const problems = this.problems(this.getValue());
    for (const [key, node] of this.messages) {
      const problem = problems[key];
      node.textContent = problem ?? node.dataset.help ?? '';
      node.className = problem ? 'cf-field-message cf-field-error' : 'cf-field-message cf-field-help';
      this.inputs.get(key)?.setAttribute('aria-invalid', problem ? 'true' : 'false');
    }
    const valid = isRunFormValid(problems);
    const accept = this.node
      .closest('.jp-Dialog-content')
      ?.querySelector<HTMLButtonElement>('.jp-mod-accept');
    if (accept) {
      accept.disabled = !valid;
    }
    return valid;
  }

  protected override onAfterAttach(): void {
    this.check();
    const first = this.node.querySelector<HTMLInputElement>('input, select');
    first?.focus();
  }

  protected field(
    key: string,
    label: string,
    input: Input,
    options: { help?: string; value?: string; placeholder?: string } = {},
  ): HTMLElement {
    input.classList.add('jp-mod-styled');
    input.setAttribute('name', key);
    input.dataset.field = key;
    if (options.placeholder) {
      input.setAttribute('placeholder', options.placeholder);
    }
    if (options.value !== undefined) {
      input.value = options.value;
    }
    const message = el('div', { className: 'cf-field-message', dataset: { messageFor: key } });
    if (options.help) {
      message.dataset.help = options.help;
    }
    this.inputs.set(key, input);
    this.messages.set(key, message);
    return el('label', { className: 'cf-field' }, [el('span', { text: label }), input, message]);
  }

  protected value(key: string): string {
    return this.inputs.get(key)?.value ?? '';
  }
}

export class RunFlowForm extends CheckedForm<RunFormValues> {
  private readonly fields: ParameterField[];

  constructor(parameters: readonly Parameter[], values: RunFormValues) {
    super('cf-run-flow-form');
    this.fields = parameterFields(parameters);
    const paramRows = this.fields.map((f) => {
      const input =
        f.type === 'boolean'
          ? el('select', {}, [
              el('option', { text: 'true', attrs: { value: 'true' } }),
              el('option', { text: 'false', attrs: { value: 'false' } }),
            ])
          : el('input', {
              attrs: { type: 'text', ...(f.type === 'number' ? { inputmode: 'decimal' } : {}) },
            });
      const help = [f.help, `${f.type}, default ${f.defaultText || '(none)'}`].filter(Boolean).join(' · ');
      return this.field(`param:${f.name}`, f.name, input, { value: values.params[f.name] ?? '', help });
    });
    this.node.append(
      el('fieldset', { className: 'cf-run-params' }, [
        el('legend', { text: 'Parameters' }),
        ...(paramRows.length
          ? paramRows
          : [el('div', { className: 'cf-muted', text: 'This notebook has no parameters cell.' })]),
      ]),
      el('fieldset', { className: 'cf-run-options' }, [
        el('legend', { text: 'Run' }),
        this.field('tags', 'Tags', el('textarea', { attrs: { rows: '2' } }), {
          value: values.tags,
          placeholder: 'one tag a line',
        }),
        this.field('seed', 'Seed', el('input', { attrs: { type: 'text', inputmode: 'numeric' } }), {
          value: values.seed,
          placeholder: 'drawn and recorded',
        }),
        this.field(
          'maxWorkers',
          'Max workers',
          el('input', { attrs: { type: 'text', inputmode: 'numeric' } }),
          {
            value: values.maxWorkers,
            placeholder: 'CPU count',
          },
        ),
        this.field('datastore', 'Datastore', el('input', { attrs: { type: 'text' } }), {
          value: values.datastore,
          placeholder: "the kernel's default",
        }),
      ]),
    );
  }

  getValue(): RunFormValues {
    return {
      params: Object.fromEntries(this.fields.map((f) => [f.name, this.value(`param:${f.name}`)])),
      tags: this.value('tags'),
      seed: this.value('seed'),
      maxWorkers: this.value('maxWorkers'),
      datastore: this.value('datastore'),
    };
  }

  problems(value: RunFormValues): RunFormProblems {
    // Keys of parameter problems are their names; fields are keyed `param:NAME`.
    const problems = checkRunForm(this.fields, value);
    const keyed: RunFormProblems = {};
    for (const [key, message] of Object.entries(problems)) {
      keyed[this.fields.some((f) => f.name === key) ? `param:${key}` : key] = message;
    }
    return keyed;
  }

  get parameterFields(): ParameterField[] {
    return this.fields;
  }
}

export class ResumeForm extends CheckedForm<ResumeFormValues> {
  constructor(
    private readonly steps: readonly string[],
    values: ResumeFormValues,
    failedStep: string | undefined,
  ) {
    super('cf-resume-form');
    const select = el('select', {}, [
      el('option', {
        text: failedStep ? `the first failed step (${failedStep})` : 'the first failed step',
        attrs: { value: '' },
      }),
      ...steps.map((s) => el('option', { text: s, attrs: { value: s } })),
    ]);
    this.node.append(
      this.field('fromStep', 'Resume from', select, {
        value: values.fromStep,
        help: 'Every successful task before this step is reused; this step and the ones after it run again.',
      }),
      this.field(
        'maxWorkers',
        'Max workers',
        el('input', { attrs: { type: 'text', inputmode: 'numeric' } }),
        {
          value: values.maxWorkers,
          placeholder: 'CPU count',
        },
      ),
    );
  }

  getValue(): ResumeFormValues {
    return { fromStep: this.value('fromStep'), maxWorkers: this.value('maxWorkers') };
  }

  problems(value: ResumeFormValues): RunFormProblems {
    return checkResumeForm(value, this.steps);
  }
}

/** Shows a form until cancelled or accepted with valid values (Enter can accept a disabled button). */
async function ask<T>(title: string, label: string, make: (values?: T) => CheckedForm<T>): Promise<T | null> {
  let values: T | undefined;
  for (;;) {
    const form = make(values);
    const result = await showDialog({
      title,
      body: form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label })],
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    values = result.value;
    const check = make(values);
    const ok = isRunFormValid(check.problems(values));
    check.dispose();
    if (ok) {
      return values;
    }
  }
}

export function askRunOptions(
  title: string,
  parameters: readonly Parameter[],
  initial: RunFormValues,
): Promise<RunFormValues | null> {
  return ask(title, 'Run', (values) => new RunFlowForm(parameters, values ?? initial));
}

export function askResumeOptions(
  title: string,
  steps: readonly string[],
  failedStep: string | undefined,
  initial: ResumeFormValues,
): Promise<ResumeFormValues | null> {
  return ask(title, 'Resume', (values) => new ResumeForm(steps, values ?? initial, failedStep));
}
