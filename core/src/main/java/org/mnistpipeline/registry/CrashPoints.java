package org.mnistpipeline.registry;

/**
 * Called between the durable steps of a registry write. Production passes {@link #NONE}; tests
 * throw from a chosen step to stand in for a crash there, then check what a fresh registry sees.
 * Keeping the seam a single call per step keeps test concerns out of the write logic.
 */
@FunctionalInterface
interface CrashPoints {
    CrashPoints NONE = step -> { };

    void reached(Step step);

    /** The steps, in the order each operation passes them. */
    enum Step {
        /** register: package copied into the staging directory, nothing else done. */
        REGISTER_COPIED,
        /** register: version written into the staged manifest and the package re-sealed. */
        REGISTER_SEALED,
        /** register: version number reserved in registry.json, package not yet moved. */
        REGISTER_NUMBER_RESERVED,
        /** register: staging directory renamed to models/vN. */
        REGISTER_PUBLISHED,
        /** promote/rollback: target verified, alias file not yet touched. */
        ALIAS_VERIFIED,
        /** promote/rollback: new alias content written to a temporary file, not yet renamed. */
        ALIAS_WRITING,
        /** promote/rollback: alias file renamed into place. */
        ALIAS_SWITCHED,
        /** delete: version moved out of models/, its files not yet removed. */
        DELETE_UNPUBLISHED,
        /** addFiles: old package moved aside, the re-sealed copy not yet in its place. */
        ADD_FILES_SWAPPING
    }
}
