// The step editor: a small form in a dialog that turns the active cell into a step (or a parameters or
// skipped cell) and sets its successors, foreach and options, checking every field as the user types.
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { el } from './dom';
import {
  type CellRole,
  checkStepForm,
  isValid,
  type StepFormContext,
  type StepFormField,
  type StepFormValues,
} from './step-form';

interface FieldSpec {
  field: StepFormField;
  label: string;
  placeholder: string;
  multiline?: boolean;
  numeric?: boolean;
}

const WIRING: FieldSpec[] = [
  { field: 'name', label: 'Step name', placeholder: 'train_model' },
  { field: 'next', label: 'Next steps', placeholder: 'the next step in notebook order (a, b: a branch)' },
  { field: 'foreach', label: 'Foreach over', placeholder: 'artifact whose elements each run the next step' },
  {
    field: 'switchOn',
    label: 'Switch on',
    placeholder: 'artifact naming the one next step that runs (a loop may name an earlier step)',
  },
];

const OPTIONS: FieldSpec[] = [
  { field: 'retry', label: 'Retries', placeholder: '0', numeric: true },
  { field: 'timeout', label: 'Timeout (s)', placeholder: 'none', numeric: true },
  { field: 'cpu', label: 'CPUs', placeholder: 'any', numeric: true },
  { field: 'memory', label: 'Memory (MB)', placeholder: 'any', numeric: true },
  { field: 'gpu', label: 'GPUs', placeholder: '0', numeric: true },
  { field: 'catchArtifact', label: 'Catch into', placeholder: 'artifact that receives the error' },
  { field: 'env', label: 'Environment', placeholder: 'KEY=VALUE, one a line', multiline: true },
];

const ROLES: [CellRole, string][] = [
  ['step', 'Step: starts a step of the flow'],
  ['parameters', 'Parameters: const name = literal lines'],
  ['skip', 'Skip: runs interactively, not in the flow'],
  ['none', 'None: prelude, or code of the step above'],
];

/** The dialog body. `getValue()` is what Dialog returns on accept. */
export class StepEditorForm extends Widget {
  private readonly context: StepFormContext;
  private readonly inputs = new Map<StepFormField, HTMLInputElement | HTMLTextAreaElement>();
  private readonly messages = new Map<StepFormField, HTMLElement>();
  private readonly role: HTMLSelectElement;
  private readonly stepFields: HTMLElement;

  constructor(values: StepFormValues, context: StepFormContext) {
    super();
    this.context = context;
    this.addClass('cf-step-editor');
    this.role = el(
      'select',
      { className: 'jp-mod-styled', attrs: { name: 'role', 'data-field': 'role' } },
      ROLES.map(([value, label]) => el('option', { text: label, attrs: { value } })),
    );
    this.role.value = values.role;
    const datalist = el(
      'datalist',
      { attrs: { id: `cf-step-names-${this.id}` } },
      context.otherSteps.map((s) => el('option', { attrs: { value: s.name } })),
    );
    this.stepFields = el('div', { className: 'cf-step-fields' }, [
      el('fieldset', {}, [
        el('legend', { text: 'Wiring' }),
        ...WIRING.map((spec) => this.field(spec, values)),
      ]),
      el('fieldset', { className: 'cf-step-options' }, [
        el('legend', { text: 'Options' }),
        ...OPTIONS.map((spec) => this.field(spec, values)),
      ]),
      datalist,
    ]);
    this.inputs.get('next')!.setAttribute('list', datalist.id);
    this.node.append(
      el('label', { className: 'cf-field' }, [el('span', { text: 'This cell is' }), this.role]),
      this.stepFields,
    );
    this.node.addEventListener('input', () => this.check());
    this.role.addEventListener('change', () => this.check());
  }

  getValue(): StepFormValues {
    const value = (field: StepFormField) => this.inputs.get(field)!.value;
    return {
      role: this.role.value as CellRole,
      name: value('name'),
      next: value('next'),
      foreach: value('foreach'),
      switchOn: value('switchOn'),
      retry: value('retry'),
      timeout: value('timeout'),
      cpu: value('cpu'),
      memory: value('memory'),
      gpu: value('gpu'),
      catchArtifact: value('catchArtifact'),
      env: value('env'),
    };
  }

  /** Validates the current values, shows the messages and (un)blocks the dialog's accept button. */
  check(): boolean {
    const values = this.getValue();
    const { errors, warnings } = checkStepForm(values, this.context);
    this.stepFields.hidden = values.role !== 'step';
    for (const [field, node] of this.messages) {
      const error = errors[field];
      node.textContent = error ?? warnings[field] ?? '';
      node.className = error ? 'cf-field-message cf-field-error' : 'cf-field-message cf-field-warning';
      this.inputs.get(field)!.setAttribute('aria-invalid', error ? 'true' : 'false');
    }
    const valid = isValid({ errors, warnings });
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
    const first = this.role.value === 'step' ? this.inputs.get('name')! : this.role;
    first.focus();
    if (first instanceof HTMLInputElement) {
      first.select();
    }
  }

  private field(spec: FieldSpec, values: StepFormValues): HTMLElement {
    const attrs = { name: spec.field, 'data-field': spec.field, placeholder: spec.placeholder };
    const input = spec.multiline
      ? el('textarea', { className: 'jp-mod-styled', attrs: { ...attrs, rows: '2' } })
      : el('input', {
          className: 'jp-mod-styled',
          attrs: { ...attrs, type: 'text', ...(spec.numeric ? { inputmode: 'numeric' } : {}) },
        });
    input.value = values[spec.field];
    const message = el('div', { className: 'cf-field-message', dataset: { messageFor: spec.field } });
    this.inputs.set(spec.field, input);
    this.messages.set(spec.field, message);
    return el('label', { className: 'cf-field' }, [el('span', { text: spec.label }), input, message]);
  }
}

/**
 * Shows the editor until the user cancels or accepts valid values (Enter can accept while the button
 * is disabled, so invalid values reopen the form with the messages shown).
 */
export async function editStepForm(
  title: string,
  values: StepFormValues,
  context: StepFormContext,
): Promise<StepFormValues | null> {
  let current = values;
  for (;;) {
    const form = new StepEditorForm(current, context);
    const result = await showDialog({
      title,
      body: form,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Save tags' })],
      focusNodeSelector: 'input[name="name"]',
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    current = result.value;
    if (isValid(checkStepForm(current, context))) {
      return current;
    }
  }
}
