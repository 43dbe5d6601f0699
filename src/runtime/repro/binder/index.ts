// Publishing a run as a Binder-ready branch (`cellflow binder`).
export {
  exportBinder,
  defaultBinderBranch,
  validBranchName,
  type BinderOptions,
  type BinderResult,
} from './binder';
