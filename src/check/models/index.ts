// The models the `check` command offers, by name. It only names them; each lives in its own file.
import { kvModel } from './kv.js';
import { lockModel } from './lock.js';
import { registerModel } from './register.js';

export const MODELS = { register: registerModel, kv: kvModel, lock: lockModel } as const;

export type ModelName = keyof typeof MODELS;

export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];
