package dev.flashj.cli;

import dev.flashj.FlashjException;
import dev.flashj.api.FinishReason;
import dev.flashj.api.Flashj;
import dev.flashj.api.GenerationRequest;
import dev.flashj.api.GenerationResult;
import dev.flashj.api.Model;
import dev.flashj.api.Session;
import dev.flashj.chat.ChatTemplate;
import dev.flashj.chat.ChatTemplates;
import dev.flashj.chat.Conversation;
import dev.flashj.sampling.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code flashj chat}: a conversation on stdin/stdout using the model's chat template. Each line
 * read is a user message; the reply streams to stdout. {@code /exit} or end of input ends it. The
 * history is resent every turn (the session's cache makes that cheap) and the oldest exchanges are
 * dropped, with a note on stderr, when it would not leave room for a reply.
 */
@Command(name = "chat", sortOptions = false,
        description = "Chat with a model on stdin/stdout (one message per line; /exit or end of input quits).")
public final class ChatCommand implements Callable<Integer> {

    /** The line that ends the chat. */
    public static final String EXIT = "/exit";
    /** Default reply length. */
    public static final int DEFAULT_MAX_TOKENS = 512;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelOptions modelOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt for the whole conversation.")
    private String system;

    private int maxTokens = DEFAULT_MAX_TOKENS;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", description = "Most tokens per reply. Default: 512.")
    void setMaxTokens(int value) {
        if (value < 1) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--max-tokens': must be >= 1, was " + value);
        }
        maxTokens = value;
    }

    @Mixin
    private SamplingOptions samplingOptions;

    @Mixin
    private DeviceOptions deviceOptions;

    private final InputStream input;

    public ChatCommand() {
        this(System.in);
    }

    /** For tests: read the user's lines from {@code input}. */
    ChatCommand(InputStream input) {
        this.input = input;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SamplingParams sampling = samplingOptions.toParams();
        try (Model model = Flashj.load(modelOptions.model(),
                GenerateCommand.loadOptions(modelOptions, deviceOptions));
             Session session = model.newSession()) {
            GenerateCommand.describeModel(err, model);
            ChatTemplates.Choice choice = ChatTemplates.choose(model.chatTemplate());
            choice.warning().ifPresent(w -> err.println("note: " + w));
            err.println("chat template: " + choice.template().name() + "; sampling: " + sampling.describe());
            err.println("type a message and press Enter; " + EXIT + " or end of input quits");
            err.flush();
            converse(model, session, choice.template(), sampling, out, err);
        }
        return 0;
    }

    private void converse(Model model, Session session, ChatTemplate template, SamplingParams sampling,
                          PrintWriter out, PrintWriter err) {
        Conversation conversation = new Conversation(Optional.ofNullable(system));
        BufferedReader reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
        // leave room for a reply, but never more than half the context
        int replyRoom = Math.min(maxTokens, Math.max(1, model.contextLength() / 2));
        int turn = 0;
        while (true) {
            err.print("> ");
            err.flush();
            String line = readLine(reader);
            if (line == null || line.strip().equals(EXIT)) {
                break;
            }
            if (line.isBlank()) {
                continue;
            }
            conversation.addUser(line.strip());
            Optional<String> prompt = fitPrompt(model, template, conversation, replyRoom, err);
            if (prompt.isEmpty()) {
                continue;
            }
            GenerationRequest request = GenerationRequest.builder(prompt.get()).maxTokens(maxTokens)
                    .sampling(sampling.withSeed(sampling.seed() + turn++)).stop(template.stopStrings())
                    .parseSpecial(true).build();
            boolean[] started = {false}; // the reply's leading whitespace (after "Assistant:") is not shown
            GenerationResult reply = session.generate(request, (id, text) -> {
                String shown = started[0] ? text : text.stripLeading();
                started[0] |= !shown.isEmpty();
                out.print(shown);
                out.flush();
            });
            out.println();
            out.flush();
            conversation.addAssistant(reply.text().strip());
            if (reply.finishReason() == FinishReason.CONTEXT) {
                err.println("note: the reply was cut off: the context (" + model.contextLength() + " tokens) is full");
            }
        }
    }

    /** Renders the conversation, dropping the oldest exchanges until a reply fits; empty if nothing fits. */
    private static Optional<String> fitPrompt(Model model, ChatTemplate template, Conversation conversation,
                                              int replyRoom, PrintWriter err) {
        while (true) {
            String prompt = template.render(conversation.messages(), true);
            int tokens = model.encode(GenerationRequest.builder(prompt).parseSpecial(true).build()).length;
            if (tokens + replyRoom <= model.contextLength()) {
                return Optional.of(prompt);
            }
            if (!conversation.dropOldestExchange()) {
                err.println("note: that message does not fit in the context (" + tokens + " prompt tokens, "
                        + model.contextLength() + " in the context, " + replyRoom + " kept for the reply); ignored");
                conversation.removeLast();
                return Optional.empty();
            }
            err.println("note: the conversation is too long for the context (" + model.contextLength()
                    + " tokens): dropped the oldest exchange");
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new FlashjException("cannot read the chat input: " + e.getMessage(), e);
        }
    }
}
