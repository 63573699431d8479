def _make_loader(X, y, batch_size, seed):
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=generator)


def _train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    losses = []
    for X_batch, y_batch in loader:
        optimizer.zero_grad()
        loss = criterion(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    loader = _make_loader(X_train, y_train, batch_size, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    history = []
    for epoch in range(epochs):
        history.append(_train_one_epoch(model, loader, optimizer, criterion))
        train_accuracy = accuracy(model, X_train, y_train)
        print(f"epoch {epoch + 1}/{epochs}: loss {history[-1]:.4f}, train accuracy {train_accuracy:.3f}")
    return history
