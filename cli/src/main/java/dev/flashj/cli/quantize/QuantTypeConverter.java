package dev.flashj.cli.quantize;

import dev.flashj.quant.QuantType;
import picocli.CommandLine;

import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Collectors;

/** {@code --type} spelled as on the command line ("q4_k", "int4-g128"), with the valid names as candidates. */
final class QuantTypeConverter implements CommandLine.ITypeConverter<QuantType>, Iterable<String> {

    @Override
    public QuantType convert(String value) {
        return QuantType.fromCliName(value).orElseThrow(() -> new CommandLine.TypeConversionException(
                "'" + value + "' is not a quantization type (expected one of: " + names() + ")"));
    }

    static String names() {
        return Arrays.stream(QuantType.values()).map(QuantType::cliName).collect(Collectors.joining(", "));
    }

    @Override
    public Iterator<String> iterator() {
        return Arrays.stream(QuantType.values()).map(QuantType::cliName).iterator();
    }
}
