using Pleura.Cli;
using Pleura.Cli.Commands;

return Cli.Invoke(Commands.Root(), args);
