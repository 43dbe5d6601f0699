// What a step sees while it runs — `self`, `inputs`, `current.random()`, the values a foreach fans
// out over, the case a switch chose — shared by flow tasks and the kernel's interactive steps.
export * from './artifact-scope';
export { taskRandom } from './seeded-random';
export { foreachElements, isOneShotIterator, ForeachValueError } from './foreach-values';
export { chosenCase } from './switch-case';
