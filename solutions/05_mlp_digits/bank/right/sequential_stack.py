class MultiLayerNet(nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super().__init__()
        layers = []
        previous = input_size
        for size in layer_sizes:
            layers.append(nn.Linear(previous, size))
            layers.append(nn.ReLU())
            previous = size
        layers.append(nn.Linear(previous, output_size))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
