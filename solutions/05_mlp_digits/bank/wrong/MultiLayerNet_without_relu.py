class MultiLayerNet(nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super().__init__()
        sizes = [input_size, *layer_sizes, output_size]
        self.layers = nn.Sequential(*(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)))

    def forward(self, x):
        return self.layers(x)
