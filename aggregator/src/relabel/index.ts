/** Prometheus relabeling: compile configs once, apply them to label sets. */
export { compileRelabel, hashmod, relabel, relabelBuilder } from './relabel.js';
export type { CompiledRelabel, RelabelInput, RelabelProgram } from './relabel.js';
export { LabelsBuilder } from './builder.js';
export { goToLower, goToUpper } from './go-case.js';
export { RelabelRegex, expand, parseTemplate } from './regex.js';
