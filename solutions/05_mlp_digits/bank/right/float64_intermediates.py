def accuracy(model, X, y):
    model.eval()
    with torch.inference_mode():
        predictions = torch.max(model(X), 1).indices
    return float((predictions == y).double().sum() / y.numel())


def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    dataset = TensorDataset(X_train, y_train)
    loader = DataLoader(dataset, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr)
    history = []
    for _ in range(epochs):
        running = torch.zeros((), dtype=torch.float64)
        batches = 0
        for inputs, labels in loader:
            loss = nn.functional.cross_entropy(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            running += loss.detach().double()
            batches += 1
        history.append((running / batches).item())
    return history
