/** The lessons of the Learn panel. */
export { LESSONS, getLesson } from './lessons';
export type { Lesson } from './lessons';
