/** The browse part of the service contract suite (service-contract.test.ts runs it on both transports). */
import type { SuiteContext } from './suite-context.js';

export function browseTests(_context: () => SuiteContext): void {}
