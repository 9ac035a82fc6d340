package org.mnistpipeline.pipeline.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.mnistpipeline.data.DataException;
import org.mnistpipeline.data.Idx;
import org.mnistpipeline.pipeline.ingest.Rejection.Kind;

/**
 * Lists the records of a source directory in one of three layouts, checked in this order:
 * <ol>
 *   <li>{@code idx}: IDX pairs, {@code *images*idx3*} with the {@code *labels*idx1*} file of the
 *       same name (raw or .gz);</li>
 *   <li>{@code csv}: image files plus {@code labels.csv} with {@code file,label} rows (header optional);</li>
 *   <li>{@code folders}: image files in per-label folders {@code 0/} … {@code 9/}.</li>
 * </ol>
 * Anything else in the source becomes a rejection, never a silent skip. Labels are not judged
 * here, only carried as text with where they came from.
 */
final class SourceReader {
    static final String LABELS_CSV = "labels.csv";
    private static final int SIZE = 28;

    /** One record to validate: a file, or one image of an IDX pair ({@code idxPixels} set). */
    record Candidate(String name, Path file, byte[] idxPixels, String labelText, String labelOrigin) {}

    /** A record refused before validation; {@code file} (may be null) holds its original bytes. */
    record Early(String name, Path file, Kind kind, String reason) {
        Rejection rejection() {
            return new Rejection(name, reason, kind);
        }
    }

    record Listing(String format, List<Candidate> candidates, List<Early> rejected) {}

    private SourceReader() {}

    /**
     * The most IDX payload one source may bring into memory: validating and storing a record
     * holds about six copies of its 784 bytes, so an eighth of the heap leaves room for them.
     */
    static long defaultIdxBudget() {
        return Runtime.getRuntime().maxMemory() / 8;
    }

    static Listing read(Path source) {
        return read(source, defaultIdxBudget());
    }

    /** {@code idxBudget}: the most IDX payload (bytes) read from all of the source's pairs together. */
    static Listing read(Path source, long idxBudget) {
        if (!Files.isDirectory(source)) {
            throw new DataException("source " + source + " is not a directory; pass a directory of IDX files,"
                    + " label folders 0-9, or images with labels.csv");
        }
        List<Path> files = listFiles(source);
        List<Early> rejected = new ArrayList<>();
        boolean idx = files.stream().anyMatch(p -> p.getParent().equals(source) && (isIdxImages(p) || isIdxLabels(p)));
        if (idx) {
            return new Listing("idx", readIdx(source, files, rejected, idxBudget), rejected);
        }
        if (Files.isRegularFile(source.resolve(LABELS_CSV), LinkOption.NOFOLLOW_LINKS)) {
            return new Listing("csv", readCsv(source, files, rejected), rejected);
        }
        return new Listing("folders", readFolders(source, files, rejected), rejected);
    }

    /** Every entry under {@code source} that is not a directory, symbolic links included (they are refused). */
    private static List<Path> listFiles(Path source) {
        try (Stream<Path> walk = Files.walk(source)) {
            return walk.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (IOException e) {
            throw new DataException("cannot list source " + source + ": " + e.getMessage(), e);
        }
    }

    static String relative(Path source, Path file) {
        return source.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private static boolean isIdxImages(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.contains("images") && name.contains("idx3");
    }

    private static boolean isIdxLabels(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.contains("labels") && name.contains("idx1");
    }

    /** A plain file we may read; symbolic links and devices are refused (they could point anywhere). */
    private static Early notPlain(Path source, Path file) {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? null
                : new Early(relative(source, file), null, Kind.UNEXPECTED_FILE,
                        "not a plain file (symbolic link or device); copy the file into the source instead");
    }

    private static List<Candidate> readIdx(Path source, List<Path> files, List<Early> rejected, long budget) {
        long left = budget;
        List<Candidate> out = new ArrayList<>();
        Set<Path> used = new HashSet<>();
        for (Path images : files) {
            if (!images.getParent().equals(source) || !isIdxImages(images) || notPlain(source, images) != null) {
                continue;
            }
            String name = images.getFileName().toString();
            Path labels = images.resolveSibling(name.replace("images", "labels").replace("idx3", "idx1"));
            used.add(images);
            if (!Files.isRegularFile(labels, LinkOption.NOFOLLOW_LINKS)) {
                rejected.add(new Early(name, images, Kind.BAD_IDX, "no labels file for these images (expected "
                        + labels.getFileName() + " next to it)"));
                continue;
            }
            used.add(labels);
            String problem = null;
            Kind kind = Kind.BAD_IDX;
            Idx.IdxArray imageArray = null;
            Idx.IdxArray labelArray = null;
            try {
                // Checked against the budget from the header, before a byte of data is allocated.
                imageArray = Idx.read(images, left);
                labelArray = Idx.read(labels, Math.max(0, left - imageArray.data().length));
                left -= imageArray.data().length + labelArray.data().length;
            } catch (Idx.TooLarge e) {
                kind = Kind.TOO_LARGE;
                problem = e.getMessage().replace(source.toString() + java.io.File.separator, "")
                        + " (ingestion holds at most " + budget / 1_000_000 + " MB of IDX data per source with this"
                        + " heap; ingest smaller pairs, or give the JVM more memory)";
            } catch (DataException e) {
                problem = e.getMessage().replace(source.toString() + java.io.File.separator, "");
            }
            if (problem == null) {
                int[] d = imageArray.dims();
                if (d.length != 3 || d[1] != SIZE || d[2] != SIZE) {
                    problem = name + " holds images of shape " + java.util.Arrays.toString(d)
                            + "; expected [count, 28, 28]";
                } else if (labelArray.dims().length != 1) {
                    problem = labels.getFileName() + " has " + labelArray.dims().length + " dimensions; expected 1";
                } else if (imageArray.count() != labelArray.count()) {
                    problem = name + " holds " + imageArray.count() + " images but " + labels.getFileName()
                            + " holds " + labelArray.count() + " labels";
                }
            }
            if (problem != null) {
                String reason = "IDX pair refused as a whole: " + problem;
                rejected.add(new Early(name, images, kind, reason));
                rejected.add(new Early(labels.getFileName().toString(), labels, kind, reason));
                continue;
            }
            int n = SIZE * SIZE;
            for (int i = 0; i < imageArray.count(); i++) {
                byte[] pixels = java.util.Arrays.copyOfRange(imageArray.data(), i * n, (i + 1) * n);
                out.add(new Candidate(name + "#" + i, null, pixels,
                        Integer.toString(labelArray.data()[i] & 0xff), "IDX label"));
            }
        }
        for (Path file : files) {
            if (used.contains(file)) {
                continue;
            }
            Early bad = notPlain(source, file);
            if (bad != null) {
                rejected.add(bad);
            } else if (file.getParent().equals(source) && isIdxLabels(file)) {
                rejected.add(new Early(relative(source, file), file, Kind.BAD_IDX,
                        "labels file without a matching images file (expected "
                                + file.getFileName().toString().replace("labels", "images").replace("idx1", "idx3") + ")"));
            } else {
                rejected.add(new Early(relative(source, file), file, Kind.UNEXPECTED_FILE,
                        "not part of an IDX pair in a source laid out as IDX files"));
            }
        }
        return out;
    }

    private static List<Candidate> readCsv(Path source, List<Path> files, List<Early> rejected) {
        Path csv = source.resolve(LABELS_CSV);
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException("cannot read " + csv + " as UTF-8 text: " + e.getMessage(), e);
        }
        Map<Path, String> labelOf = new HashMap<>();
        Map<Path, Integer> lineOf = new HashMap<>();
        int headerLine = firstDataLine(lines);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).replace("\uFEFF", "").strip(); // a BOM from spreadsheet exports
            String where = LABELS_CSV + ":" + (i + 1);
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(",", -1);
            if (fields.length != 2) {
                rejected.add(new Early(where, null, Kind.BAD_LABEL,
                        "row '" + line + "' has " + fields.length + " fields; expected file,label"));
                continue;
            }
            String fileField = unquote(fields[0]);
            String label = unquote(fields[1]);
            if (i == headerLine && fileField.equalsIgnoreCase("file") && label.equalsIgnoreCase("label")) {
                continue; // the optional header
            }
            Path file = source.resolve(fileField).normalize();
            if (fileField.isEmpty() || !file.startsWith(source) || file.equals(csv)) {
                rejected.add(new Early(where, null, Kind.BAD_LABEL,
                        "row names '" + fileField + "', which is not an image file inside the source"));
            } else if (linkOnTheWay(source, file) != null) {
                rejected.add(new Early(where, null, Kind.UNEXPECTED_FILE, "row names " + fileField
                        + ", which is reached through the symbolic link " + linkOnTheWay(source, file)
                        + "; copy the files into the source instead"));
            } else if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                rejected.add(new Early(where, null, Kind.BAD_LABEL,
                        "row names " + fileField + ", which is not in the source"));
            } else if (lineOf.containsKey(file)) {
                rejected.add(new Early(where, null, Kind.BAD_LABEL,
                        fileField + " is labelled again; line " + lineOf.get(file) + " labelled it first"));
            } else {
                labelOf.put(file, label);
                lineOf.put(file, i + 1);
            }
        }
        List<Candidate> out = new ArrayList<>();
        Set<Path> listed = new HashSet<>();
        for (Path file : files) {
            if (file.equals(csv)) {
                continue;
            }
            String name = relative(source, file);
            Early bad = notPlain(source, file);
            if (bad != null) {
                rejected.add(bad);
            } else if (!labelOf.containsKey(file)) {
                rejected.add(new Early(name, file, Kind.BAD_LABEL, "has no row in " + LABELS_CSV));
            } else {
                listed.add(file);
                out.add(new Candidate(name, file, null, labelOf.get(file), LABELS_CSV + " line " + lineOf.get(file)));
            }
        }
        // A row whose file the walk never met (a directory, say) would otherwise vanish without a word.
        labelOf.keySet().stream().filter(f -> !listed.contains(f)).sorted().forEach(f -> rejected.add(new Early(
                LABELS_CSV + ":" + lineOf.get(f), null, Kind.UNEXPECTED_FILE, "row names " + relative(source, f)
                        + ", which is not a plain file in the source")));
        return out;
    }

    /** The first symbolic link among the directories between {@code source} and {@code file}, or null. */
    private static String linkOnTheWay(Path source, Path file) {
        Path at = source;
        Path rel = source.relativize(file);
        for (int i = 0; i < rel.getNameCount() - 1; i++) {
            at = at.resolve(rel.getName(i));
            if (Files.isSymbolicLink(at)) {
                return relative(source, at);
            }
        }
        return null;
    }

    private static int firstDataLine(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                return i;
            }
        }
        return -1;
    }

    private static String unquote(String field) {
        String f = field.strip();
        return f.length() >= 2 && f.startsWith("\"") && f.endsWith("\"") ? f.substring(1, f.length() - 1) : f;
    }

    private static List<Candidate> readFolders(Path source, List<Path> files, List<Early> rejected) {
        List<Candidate> out = new ArrayList<>();
        for (Path file : files) {
            String name = relative(source, file);
            Early bad = notPlain(source, file);
            if (bad != null) {
                rejected.add(bad);
            } else if (file.getParent().equals(source)) {
                rejected.add(new Early(name, file, Kind.UNEXPECTED_FILE,
                        "not inside a label folder 0-9 (and the source has no " + LABELS_CSV + ")"));
            } else {
                String folder = source.relativize(file).getName(0).toString();
                out.add(new Candidate(name, file, null, folder, "folder name"));
            }
        }
        return out;
    }
}
