package org.mnistpipeline.registry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.mnistpipeline.io.FileTrees;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.LocalModelRegistry.RegistryState;

/**
 * What both registries (a directory and an object-store prefix) agree on: the names of versions
 * and aliases, the registry format, and how a package is copied in. One place, so the two layouts
 * cannot drift apart.
 */
final class RegistryRules {
    static final int FORMAT_VERSION = 1;
    static final String STATE_FILE = "registry.json";
    static final Pattern VERSION = Pattern.compile("v[1-9][0-9]{0,8}");
    private static final Pattern ALIAS = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

    private RegistryRules() {}

    static boolean isVersion(String name) {
        return name != null && VERSION.matcher(name).matches();
    }

    /** A name with the form of an alias; a version-shaped name is not one. */
    static boolean isAlias(String name) {
        return name != null && ALIAS.matcher(name).matches() && !isVersion(name);
    }

    /** True when {@code name} has an alias's characters (a version such as v3 has them too). */
    static boolean hasAliasForm(String name) {
        return name != null && ALIAS.matcher(name).matches();
    }

    static int number(String version) {
        return Integer.parseInt(version.substring(1));
    }

    static void checkAliasName(String alias) {
        if (!isAlias(alias)) {
            throw new RegistryException("invalid alias '" + alias + "': use lower-case letters, digits, '-' and '_',"
                    + " start with a letter, and do not use the form of a version (v3)");
        }
    }

    /** Refuses to drop a version an alias still serves. */
    static void refuseIfAliased(Map<String, String> aliases, String version) {
        List<String> holders = aliases.entrySet().stream()
                .filter(e -> e.getValue().equals(version)).map(Map.Entry::getKey).toList();
        if (!holders.isEmpty()) {
            throw new RegistryException(version + " is the " + String.join(" and ", holders)
                    + " model; promote another version first");
        }
    }

    /** A package copied into the wrong slot would otherwise be served under another version's name. */
    static ModelManifest checkedVersion(Object where, String version, ModelManifest manifest) {
        if (!version.equals(manifest.version())) {
            throw new ModelPackageException("model package " + where + " is corrupt: its manifest says version '"
                    + manifest.version() + "' but it is stored as " + version + "; restore it or delete the version");
        }
        return manifest;
    }

    /** Refuses a file of another registry format; {@code what} names it ("registry /x", "alias object …"). */
    static void checkFormat(int formatVersion, String what) {
        if (formatVersion != FORMAT_VERSION) {
            throw new RegistryException(what + " has format version " + formatVersion
                    + ", but this build reads only version " + FORMAT_VERSION + "; use a newer mnist-pipeline");
        }
    }

    /** The registry state stored in {@code file} of registry {@code root}, its format checked. */
    static RegistryState parseState(byte[] bytes, Object file, Object root) {
        RegistryState state;
        try {
            state = Json.mapper().readValue(bytes, RegistryState.class);
        } catch (IOException e) {
            throw new RegistryException(file + " is unreadable (" + e.getMessage()
                    + "); restore it, or recreate it with the highest version number ever used", e);
        }
        checkFormat(state.formatVersion(), "registry " + root);
        return state;
    }

    /**
     * Copies plain files only (symlinks are refused), dropping any old SHA256SUMS: we re-seal.
     * With {@code force}, each file is forced to disk so a rename that publishes it cannot outrun it.
     */
    static void copyPackage(Path from, Path to, boolean force) throws IOException {
        var files = PackagePaths.regularFiles(from, problem -> new ModelPackageException(
                "cannot register " + from + ": " + problem));
        files.remove(ModelPackage.CHECKSUMS);
        for (String file : files) {
            Path target = to.resolve(file);
            Files.createDirectories(target.getParent());
            Files.copy(from.resolve(file), target);
            if (force) {
                try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
            }
        }
    }

    static void deleteQuietly(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException ignored) {
            // leftover staging or scratch is never read as a version or a package: removing it is tidiness
        }
    }
}
