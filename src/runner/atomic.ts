/** The runner writes executed notebooks with the project's one atomic write (src/files/atomic-write.js). */
export { writeFileAtomic } from "../files/atomic-write";
