// The console's router: the shell's router over the console's routes (routes.js).
import { createRouter } from '../shared/router.js';
import { match, owns } from './routes.js';

export const router = createRouter({ match, owns });
export const { navigate, useRoute } = router;
