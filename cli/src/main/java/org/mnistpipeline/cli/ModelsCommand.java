package org.mnistpipeline.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mnistpipeline.io.Json;
import org.mnistpipeline.model.ModelManifest;
import org.mnistpipeline.registry.ModelPackage;
import org.mnistpipeline.registry.ModelRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mnist models ...}: the model registry. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List, inspect, promote and roll back models.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Show.class, ModelsCommand.Promote.class,
                ModelsCommand.Rollback.class, ModelsCommand.Delete.class, ModelsCommand.Export.class})
final class ModelsCommand {
    @ParentCommand
    MnistCli root;

    Context context() {
        return root.context;
    }

    /** Base of the subcommands: picocli injects this command into {@code parent}. */
    abstract static class Subcommand implements Callable<Integer> {
        @ParentCommand
        ModelsCommand parent;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every registered version, oldest first.")
    static final class ListModels extends Subcommand {
        @Option(names = "--json", description = "Print as JSON.")
        boolean json;

        @Override
        public Integer call() {
            Context context = parent.context();
            ModelRegistry registry = context.registry();
            List<ModelManifest> models = registry.list();
            Map<String, String> aliases = registry.aliases();
            if (json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (ModelManifest m : models) {
                    rows.add(Map.of("version", m.version(), "architecture", m.architecture().name(), "created",
                            m.createdAt(), "metrics", m.metrics(), "aliases", aliasesOf(aliases, m.version())));
                }
                context.out.println(Json.pretty(rows));
                return 0;
            }
            if (models.isEmpty()) {
                context.out.println("no models registered yet; run `mnist train` or `mnist demo`");
                return 0;
            }
            context.out.printf("%-8s %-10s %-9s %-24s %s%n", "VERSION", "ARCH", "TEST ACC", "CREATED", "ALIASES");
            for (ModelManifest m : models) {
                Double acc = m.metrics().get("test_accuracy");
                context.out.printf(Locale.ROOT, "%-8s %-10s %-9s %-24s %s%n", m.version(), m.architecture().name(),
                        acc == null ? "-" : String.format(Locale.ROOT, "%.2f%%", acc * 100),
                        m.createdAt().substring(0, Math.min(19, m.createdAt().length())),
                        String.join(",", aliasesOf(aliases, m.version())));
            }
            return 0;
        }
    }

    static List<String> aliasesOf(Map<String, String> aliases, String version) {
        return aliases.entrySet().stream().filter(e -> e.getValue().equals(version)).map(Map.Entry::getKey).sorted()
                .toList();
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "A model's manifest (verifying the package's checksums first).")
    static final class Show extends Subcommand {
        @Parameters(paramLabel = "VERSION", description = "A version such as v3, or an alias such as production.")
        String version;

        @Option(names = "--json", description = "Print the manifest as JSON.")
        boolean json;

        @Override
        public Integer call() {
            Context context = parent.context();
            ModelPackage pkg = context.registry().get(version);
            ModelManifest m = pkg.manifest();
            if (json) {
                context.out.println(Json.pretty(m));
                return 0;
            }
            context.out.printf("version       %s%n", m.version());
            context.out.printf("created       %s%n", m.createdAt());
            context.out.printf("architecture  %s, %d parameters%n", m.architecture().name(),
                    m.architecture().parameterCount());
            context.out.printf("data          %s (%s)%n", m.data().source(), m.data().fingerprint().sha256());
            context.out.printf("parent        %s%n", m.parent() == null ? "-" : m.parent());
            m.metrics().forEach((k, v) -> context.out.printf(Locale.ROOT, "%-13s %s%n", k,
                    v == Math.rint(v) ? String.valueOf(v.longValue()) : String.format(Locale.ROOT, "%.4f", v)));
            context.out.printf("package       %s (verified)%n", pkg.dir());
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, description = "Point an alias at a version, atomically.")
    static final class Promote extends Subcommand {
        @Parameters(paramLabel = "VERSION")
        String version;

        @Option(names = "--alias", defaultValue = "production", description = "Alias to move (default: ${DEFAULT-VALUE}).")
        String alias;

        @Override
        public Integer call() {
            Context context = parent.context();
            ModelRegistry registry = context.registry();
            String resolved = registry.get(version).manifest().version();
            registry.promote(resolved, alias);
            context.out.println(alias + " -> " + resolved);
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Point an alias back at the version it held before.")
    static final class Rollback extends Subcommand {
        @Option(names = "--alias", defaultValue = "production", description = "Alias to roll back (default: ${DEFAULT-VALUE}).")
        String alias;

        @Override
        public Integer call() {
            Context context = parent.context();
            String restored = context.registry().rollback(alias);
            context.out.println(alias + " -> " + restored);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a version; refused while an alias points at it.")
    static final class Delete extends Subcommand {
        @Parameters(paramLabel = "VERSION")
        String version;

        @Override
        public Integer call() {
            Context context = parent.context();
            context.registry().delete(version);
            context.out.println("deleted " + version);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Add model.onnx (opset 13, built from the stored spec and weights) to a version"
                    + " registered before export existed. New versions get it at registration.")
    static final class Export extends Subcommand {
        @Parameters(paramLabel = "VERSION")
        String version;

        @Override
        public Integer call() {
            Context context = parent.context();
            ModelRegistry registry = context.registry();
            String resolved = registry.get(version).manifest().version();
            ModelPackage pkg = registry.get(resolved);
            String onnx = org.mnistpipeline.release.ReleaseService.ONNX_FILE;
            if (pkg.files().contains(onnx)) {
                context.out.println(resolved + " already has " + onnx + ": " + pkg.dir().resolve(onnx));
                return 0;
            }
            ModelPackage updated = registry.addFiles(resolved,
                    Map.of(onnx, org.mnistpipeline.release.ReleaseService.onnxOf(pkg)));
            context.out.println("exported " + updated.dir().resolve(onnx));
            return 0;
        }
    }
}
