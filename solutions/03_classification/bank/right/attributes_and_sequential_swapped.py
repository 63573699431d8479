import torch.nn.functional as F


class BinaryClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(BinaryClassifier, self).__init__()  # noqa: UP008 - the lecture's spelling
        self.Linear1 = nn.Linear(input_size, hidden_size)
        self.Linear2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out = F.relu(self.Linear1(x))
        return self.Linear2(out)


class MulticlassClassifier(torch.nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.main = torch.nn.Sequential(
            torch.nn.Linear(input_size, hidden_size),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden_size, output_size),
        )

    def forward(self, x):
        out = self.main(x)
        return out


def predict_multiclass(logits):
    _, classes = torch.max(logits, 1)
    return classes
